// The whole LNK file lives in one buffer owned by this module; every read goes through `fits` first,
// so a lying size or offset field ends in an error entry instead of a read past the input.

let buffer: ArrayBuffer = new ArrayBuffer(0);
export let base: usize = 0;
export let inputSize: i32 = 0;

export function allocInput(length: i32): usize {
  buffer = new ArrayBuffer(length < 0 ? 0 : length);
  base = changetype<usize>(buffer);
  inputSize = buffer.byteLength;
  return base;
}

/** Declares that only the first `length` bytes were filled (a reader delivered less than it announced). */
export function shrinkInput(length: i32): void {
  if (length >= 0 && length < inputSize) inputSize = length;
}

/** True when `length` bytes starting at `offset` lie inside [0, end). */
export function fits(offset: i32, length: i32, end: i32): bool {
  return offset >= 0 && length >= 0 && end <= inputSize && offset <= end - length;
}

export function u8At(offset: i32): u32 {
  return load<u8>(base + <usize>offset);
}
export function u16At(offset: i32): u32 {
  return load<u16>(base + <usize>offset);
}
export function u32At(offset: i32): u32 {
  return load<u32>(base + <usize>offset);
}

/** Byte length of a NUL-terminated 8-bit string at `offset`, never running past `end`. */
export function ansiLength(offset: i32, end: i32): i32 {
  let at = offset;
  while (at < end && u8At(at) != 0) at++;
  return at - offset;
}

/** Byte length of a NUL-terminated UTF-16LE string at `offset`, never running past `end`. */
export function utf16Length(offset: i32, end: i32): i32 {
  let at = offset;
  while (at + 1 < end && u16At(at) != 0) at += 2;
  return at - offset;
}
