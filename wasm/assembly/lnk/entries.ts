// Results leave the module as fixed-size entries [kind, tag, a, b, c, d] in one i32 array that JS reads
// after parse() returns. Strings, GUIDs and byte runs stay (offset, length) pairs into the input so JS
// decodes them only once, and nothing but integers crosses the boundary.

export const ENTRY_WORDS = 6;

export const KIND_BEGIN: i32 = 1; // a = object offset, b = object size, c = type (class type / signature)
export const KIND_END: i32 = 2;
export const KIND_U32: i32 = 3; // a = value
export const KIND_I32: i32 = 4; // a = value
export const KIND_U64: i32 = 5; // a = low word, b = high word
export const KIND_FILETIME: i32 = 6; // a = low word, b = high word
export const KIND_FATTIME: i32 = 7; // a = FAT date | FAT time << 16
export const KIND_UTF16: i32 = 8; // a = offset, b = byte length
export const KIND_ANSI: i32 = 9; // a = offset, b = byte length
export const KIND_GUID: i32 = 10; // a = offset
export const KIND_BYTES: i32 = 11; // a = offset, b = byte length
export const KIND_ERROR: i32 = 12; // tag = structure, a = offset, b = reason, c = need (-1: none), d = have

let entries = new Array<i32>();

export function resetEntries(): void {
  entries = new Array<i32>();
}

export function emit(kind: i32, tag: i32, a: i32, b: i32 = 0, c: i32 = 0, d: i32 = 0): void {
  entries.push(kind);
  entries.push(tag);
  entries.push(a);
  entries.push(b);
  entries.push(c);
  entries.push(d);
}

export function entriesPointer(): usize {
  return entries.dataStart;
}

export function entriesWordCount(): i32 {
  return entries.length;
}
