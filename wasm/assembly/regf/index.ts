// Registry hive (REGF) parser. ABI: alloc(length) and copy the hive in; open() reads the base block and
// hive bins (1: usable, 0: not a hive); walk(keyOffset) starts a depth-first walk at that key (-1: the
// root) and emits the first key, next(budget) emits up to `budget` more keys with their values (0: done);
// readKey(offset) emits a single key without touching the walk.
// Each call replaces the records readable at recordsPointer()/recordsWordCount() (see records.ts).
// findChild(parent, length) looks a subkey up by the UTF-16 name written at nameBuffer(length).
import { allocInput, shrinkInput } from "../lnk/input";
import { parseBaseBlock, rootCellOffset } from "./baseblock";
import { BASE_BLOCK_SIZE } from "./cells";
import { continueWalk, emitKey, findChild as findChildKey, startWalk } from "./keys";
import { resetRecords } from "./records";

export { recordsPointer, recordsWordCount } from "./records";

let name = new ArrayBuffer(0);

export function alloc(length: i32): usize {
  return allocInput(length);
}

/** The reader delivered only `length` bytes of the announced size. */
export function truncate(length: i32): void {
  shrinkInput(length);
}

export function nameBuffer(byteLength: i32): usize {
  name = new ArrayBuffer(byteLength < 0 ? 0 : byteLength);
  return changetype<usize>(name);
}

export function open(): i32 {
  resetRecords();
  return parseBaseBlock() ? 1 : 0;
}

/** File offset of the root key's cell. */
export function rootKey(): i32 {
  return BASE_BLOCK_SIZE + <i32>rootCellOffset;
}

export function walk(keyFileOffset: i32): void {
  resetRecords();
  startWalk(<u32>((keyFileOffset < 0 ? rootKey() : keyFileOffset) - BASE_BLOCK_SIZE));
}

export function next(budget: i32): i32 {
  resetRecords();
  return continueWalk(budget);
}

/** Emits one key and its values without disturbing a walk in progress. */
export function readKey(keyFileOffset: i32): void {
  resetRecords();
  emitKey(<u32>(keyFileOffset - BASE_BLOCK_SIZE), 0, new Array<u32>(), -1, false);
}

/** File offset of the named subkey of the key at `parentFileOffset`, or -1. */
export function findChild(parentFileOffset: i32, nameUnits: i32): i32 {
  resetRecords();
  const child = findChildKey(<u32>(parentFileOffset - BASE_BLOCK_SIZE), changetype<usize>(name), nameUnits);
  return child < 0 ? -1 : BASE_BLOCK_SIZE + child;
}
