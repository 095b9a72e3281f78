// The chunk being parsed and the current error. Every offset inside the parser is relative to the
// chunk start, because all EVTX references (names, templates) are chunk-relative.

export const CHUNK_SIZE: i32 = 0x10000;
export const chunkPtr: usize = heap.alloc(CHUNK_SIZE);
export let chunkLength: i32 = 0;

export function setChunkLength(length: i32): void {
  chunkLength = length;
}

// Error codes shared with src/evtx.ts (ERROR_TABLE there); 0 means no error.
export const ERR_RECORD_SIGNATURE = 1;
export const ERR_RECORD_SIZE = 2;
export const ERR_RECORD_TRUNCATED = 3;
export const ERR_TOKEN_TRUNCATED = 4;
export const ERR_TOKEN_UNKNOWN = 5;
export const ERR_NAME_OUT_OF_CHUNK = 6;
export const ERR_TEMPLATE_OUT_OF_CHUNK = 7;
export const ERR_SUBSTITUTION_INDEX = 8;
export const ERR_NESTING_TOO_DEEP = 9;
export const ERR_TOO_MANY_NODES = 10;
export const ERR_UNBALANCED_ELEMENTS = 11;
export const ERR_VALUE_INVALID = 12;
export const ERR_SUBSTITUTION_ARRAY = 13;
export const ERR_EMPTY_RECORD = 14;
export const ERR_EXPANSION_TOO_LARGE = 15;

export let errorCode: i32 = 0;
export let errorOffset: i32 = 0;
// For short reads: bytes the structure needed from errorOffset, and bytes the chunk still had there.
export let errorNeed: i32 = 0;
export let errorHave: i32 = 0;

/** Records the first error of the current record; later ones are consequences of it. */
export function fail(code: i32, offset: i32): void {
  if (errorCode == 0) {
    errorCode = code;
    errorOffset = offset;
  }
}

export function clearError(): void {
  errorCode = 0;
  errorOffset = 0;
  errorNeed = 0;
  errorHave = 0;
}

/** True when `[offset, offset + length)` lies inside the chunk; records a truncation error otherwise. */
// @ts-ignore: decorator
@inline export function inChunk(offset: i32, length: i32): bool {
  if (offset >= 0 && length >= 0 && <i64>offset + <i64>length <= <i64>chunkLength) return true;
  if (errorCode == 0) {
    errorNeed = length;
    errorHave = offset >= 0 && offset < chunkLength ? chunkLength - offset : 0;
  }
  fail(ERR_TOKEN_TRUNCATED, offset);
  return false;
}

// @ts-ignore: decorator
@inline export function u8At(offset: i32): u32 {
  return load<u8>(chunkPtr + <usize>offset);
}
// @ts-ignore: decorator
@inline export function u16At(offset: i32): u32 {
  return load<u16>(chunkPtr + <usize>offset);
}
// @ts-ignore: decorator
@inline export function u32At(offset: i32): u32 {
  return load<u32>(chunkPtr + <usize>offset);
}
// @ts-ignore: decorator
@inline export function u64At(offset: i32): u64 {
  return load<u64>(chunkPtr + <usize>offset);
}
