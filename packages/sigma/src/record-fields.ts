/** What the record layouts (sources.ts, evtx-fields.ts) share: the flattened field store and field-name folding. */

/** Flattened fields keyed by lower-cased Sigma field name, filled by a record layout and then by mapping aliases. */
export interface FieldMap extends ReadonlyMap<string, unknown> {
  set(name: string, value: unknown): unknown;
}

/**
 * A field store that also hands out its values as an array, in the order `values()` lists them. Reading every value of
 * every event through an iterator allocates a result object per value, which the keyword scan cannot afford.
 */
export interface ValueListed {
  valueList(): readonly unknown[];
}

export function hasValueList(fields: ReadonlyMap<string, unknown>): fields is ReadonlyMap<string, unknown> & ValueListed {
  return typeof (fields as Partial<ValueListed>).valueList === "function";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Caches below stop growing past this many names: record field names repeat, but hostile input could make them unbounded. */
export const NAME_CACHE_LIMIT = 100_000;

/** Record field names repeat from record to record: fold each once (the same key string also hashes once). */
const lowerCaseNames = new Map<string, string>();

export function lowerCaseName(name: string): string {
  let folded = lowerCaseNames.get(name);
  if (folded === undefined) {
    folded = name.toLowerCase();
    if (lowerCaseNames.size < NAME_CACHE_LIMIT) lowerCaseNames.set(name, folded);
  }
  return folded;
}
