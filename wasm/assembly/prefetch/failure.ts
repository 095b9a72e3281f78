// The one error a parse can end with. AssemblyScript has no exceptions, so every reader returns
// false after calling `fail`, and the exports hand these fields to the TypeScript wrapper.

export let failedStructure: string = "";
export let failedReason: string = "";
export let failedOffset: i64 = 0;
/** -1 when the failure is not a short read. */
export let failedNeed: i64 = -1;
export let failedHave: i64 = -1;

export function resetFailure(): void {
  failedStructure = "";
  failedReason = "";
  failedOffset = 0;
  failedNeed = -1;
  failedHave = -1;
}

export function fail(structure: string, offset: i64, reason: string): bool {
  failedStructure = structure;
  failedReason = reason;
  failedOffset = offset;
  failedNeed = -1;
  failedHave = -1;
  return false;
}

/** Records a short read: `need` bytes were required at `offset` but only `have` exist there. */
export function failShort(structure: string, offset: i64, need: i64, have: i64): bool {
  fail(structure, offset, "truncated");
  failedNeed = need;
  failedHave = have < 0 ? 0 : have;
  return false;
}
