// Results leave the module as variable-length records [kind, wordCount, ...fields] in one i32 array that
// JS reads after each call. Names and data stay (offset, length) pairs into the hive, except big-data
// values, which are reassembled into buffers kept alive until the next call.

export const RECORD_HEADER: i32 = 4;
export const RECORD_KEY: i32 = 1;
export const RECORD_VALUE: i32 = 2;
export const RECORD_ERROR: i32 = 3;

export const DATA_NONE: i32 = 0;
export const DATA_IN_HIVE: i32 = 1; // pointer = offset into the hive
export const DATA_IN_MEMORY: i32 = 2; // pointer = wasm memory address of a reassembled big-data buffer

let words = new Array<i32>();
let reassembled = new Array<ArrayBuffer>();

export function resetRecords(): void {
  words = new Array<i32>();
  reassembled = new Array<ArrayBuffer>();
}

/** Starts a record; the caller pushes exactly `fieldCount` fields with `field`. */
export function beginRecord(kind: i32, fieldCount: i32): void {
  words.push(kind);
  words.push(fieldCount + 2);
}

export function field(value: i32): void {
  words.push(value);
}

export function keepAlive(buffer: ArrayBuffer): usize {
  reassembled.push(buffer);
  return changetype<usize>(buffer);
}

export function recordsPointer(): usize {
  return words.dataStart;
}

export function recordsWordCount(): i32 {
  return words.length;
}

/** Records a problem with `structure` at `offset` (file offset) while reading key `keyOffset` (-1: none). */
export function reportError(structure: i32, offset: i32, reason: i32, need: i32, have: i32, keyOffset: i32): void {
  beginRecord(RECORD_ERROR, 6);
  field(structure);
  field(offset);
  field(reason);
  field(need);
  field(have);
  field(keyOffset);
}

// Structures named in error records (index into REGF_STRUCTURES on the JS side).
export const S_BASE_BLOCK: i32 = 0;
export const S_HIVE_BIN: i32 = 1;
export const S_NK: i32 = 2;
export const S_SUBKEY_LIST: i32 = 3;
export const S_VALUE_LIST: i32 = 4;
export const S_VK: i32 = 5;
export const S_VALUE_DATA: i32 = 6;
export const S_DB: i32 = 7;
export const S_SK: i32 = 8;
export const S_CLASS_NAME: i32 = 9;

// Reasons named in error records (index into REGF_REASONS on the JS side).
export const R_TRUNCATED: i32 = 0;
export const R_BAD_SIGNATURE: i32 = 1;
export const R_BAD_SIZE: i32 = 2;
export const R_OFFSET_OUT_OF_RANGE: i32 = 3;
export const R_CYCLE: i32 = 4;
export const R_TOO_DEEP: i32 = 5;
export const R_CHECKSUM_MISMATCH: i32 = 6;
