// Rendering of BinXML substitution values (every value type and their arrays) as JSON values or as text.
import {
  putChar, putDecimalI64, putDecimalU64, putFiletime, putHexFixed, putHexU64, putLiteral, putPadded, putUnit, reserve,
  putCivilDate,
} from "../shared/output";
import { chunkPtr } from "./state";

/** How text is escaped: inside a JSON string, XML character data, or an XML attribute value. */
export const ESC_JSON = 0;
export const ESC_XML_TEXT = 1;
export const ESC_XML_ATTRIBUTE = 2;

const T_NULL: u32 = 0x00;
const T_STRING: u32 = 0x01;
const T_ANSI: u32 = 0x02;
const T_INT8: u32 = 0x03;
const T_UINT8: u32 = 0x04;
const T_INT16: u32 = 0x05;
const T_UINT16: u32 = 0x06;
const T_INT32: u32 = 0x07;
const T_UINT32: u32 = 0x08;
const T_INT64: u32 = 0x09;
const T_UINT64: u32 = 0x0a;
const T_REAL32: u32 = 0x0b;
const T_REAL64: u32 = 0x0c;
const T_BOOL: u32 = 0x0d;
const T_BINARY: u32 = 0x0e;
const T_GUID: u32 = 0x0f;
const T_SIZET: u32 = 0x10;
const T_FILETIME: u32 = 0x11;
const T_SYSTEMTIME: u32 = 0x12;
const T_SID: u32 = 0x13;
const T_HEX32: u32 = 0x14;
const T_HEX64: u32 = 0x15;
const ARRAY_FLAG: u32 = 0x80;

/** Writes one UTF-16 code unit escaped for `mode`. */
// @ts-ignore: decorator
@inline function putEscaped(unit: u32, mode: i32): void {
  if (mode == ESC_JSON) {
    if (unit >= 0x20 && unit != 0x22 && unit != 0x5c) {
      putUnit(unit);
    } else if (unit == 0x22 || unit == 0x5c) {
      putUnit(0x5c);
      putUnit(unit);
    } else if (unit == 0x0a) {
      putUnit(0x5c);
      putUnit(0x6e);
    } else if (unit == 0x0d) {
      putUnit(0x5c);
      putUnit(0x72);
    } else if (unit == 0x09) {
      putUnit(0x5c);
      putUnit(0x74);
    } else {
      putUnit(0x5c);
      putUnit(0x75);
      putHexFixedRaw(unit);
    }
  } else if (unit == 0x26) {
    putAmpEntity(0x61, 0x6d, 0x70, 0); // &amp;
  } else if (unit == 0x3c) {
    putAmpEntity(0x6c, 0x74, 0, 0); // &lt;
  } else if (unit == 0x3e) {
    putAmpEntity(0x67, 0x74, 0, 0); // &gt;
  } else if (unit == 0x22 && mode == ESC_XML_ATTRIBUTE) {
    putAmpEntity(0x71, 0x75, 0x6f, 0x74); // &quot;
  } else {
    putUnit(unit);
  }
}

// @ts-ignore: decorator
@inline function putHexFixedRaw(unit: u32): void {
  for (let shift = 12; shift >= 0; shift -= 4) {
    const nibble = (unit >> shift) & 0xf;
    putUnit(nibble < 10 ? 0x30 + nibble : 0x57 + nibble);
  }
}

function putAmpEntity(a: u32, b: u32, c: u32, d: u32): void {
  putUnit(0x26);
  putUnit(a);
  putUnit(b);
  if (c) putUnit(c);
  if (d) putUnit(d);
  putUnit(0x3b);
}

/** Escaped UTF-16 text from the chunk (`chars` code units at chunk offset `offset`). */
export function putUtf16(offset: i32, chars: i32, mode: i32): void {
  reserve(chars * 6);
  let p = chunkPtr + <usize>offset;
  const end = p + ((<usize>chars) << 1);
  while (p < end) {
    putEscaped(load<u16>(p), mode);
    p += 2;
  }
}

/** Code units of a UTF-16 value without its trailing NUL terminators. */
function utf16Chars(offset: i32, size: i32): i32 {
  let chars = size >> 1;
  while (chars > 0 && load<u16>(chunkPtr + <usize>offset + ((<usize>(chars - 1)) << 1)) == 0) chars--;
  return chars;
}

/** ANSI strings are decoded as Windows-1252 ≈ Latin-1 (the code page is not recorded in the file). */
function putAnsi(offset: i32, size: i32, mode: i32): void {
  while (size > 0 && load<u8>(chunkPtr + <usize>offset + <usize>(size - 1)) == 0) size--;
  reserve(size * 6);
  for (let i = 0; i < size; i++) putEscaped(load<u8>(chunkPtr + <usize>(offset + i)), mode);
}

function elementSize(type: u32, total: i32): i32 {
  switch (type) {
    case T_INT8: case T_UINT8: return 1;
    case T_INT16: case T_UINT16: return 2;
    case T_INT32: case T_UINT32: case T_REAL32: case T_BOOL: case T_HEX32: return 4;
    case T_INT64: case T_UINT64: case T_REAL64: case T_FILETIME: case T_HEX64: return 8;
    case T_GUID: case T_SYSTEMTIME: return 16;
    case T_SIZET: return total % 8 == 0 ? 8 : 4;
    default: return 0;
  }
}

/** True for types rendered as JSON numbers or booleans rather than strings. */
function isJsonScalar(type: u32): bool {
  return (type >= T_INT8 && type <= T_BOOL);
}

/** A value as JSON (number, boolean, null, string or array). */
export function putJsonValue(type: u32, offset: i32, size: i32): void {
  if (type & ARRAY_FLAG) {
    putArray(type & 0x7f, offset, size, true);
    return;
  }
  if (type == T_NULL) {
    putLiteral("null");
    return;
  }
  const quoted = !isJsonScalar(type);
  if (quoted) putChar(0x22);
  putScalar(type, offset, size, ESC_JSON);
  if (quoted) putChar(0x22);
}

/** A value as text (XML, concatenated JSON strings). */
export function putValueText(type: u32, offset: i32, size: i32, mode: i32): void {
  if (type & ARRAY_FLAG) putArray(type & 0x7f, offset, size, false);
  else putScalar(type, offset, size, mode);
}

/** Arrays: JSON arrays, or comma-separated text. Strings are NUL-separated; SIDs have their own length. */
function putArray(type: u32, offset: i32, size: i32, json: bool): void {
  if (json) putChar(0x5b);
  const end = offset + size;
  let first = true;
  let pos = offset;
  while (pos < end) {
    let itemSize: i32;
    if (type == T_STRING) {
      let p = pos;
      while (p + 1 < end && load<u16>(chunkPtr + <usize>p) != 0) p += 2;
      itemSize = p - pos;
      if (p + 1 >= end) itemSize = end - pos;
    } else if (type == T_ANSI) {
      let p = pos;
      while (p < end && load<u8>(chunkPtr + <usize>p) != 0) p++;
      itemSize = p - pos;
    } else if (type == T_SID) {
      itemSize = end - pos < 8 ? end - pos : min(8 + 4 * <i32>load<u8>(chunkPtr + <usize>(pos + 1)), end - pos);
    } else {
      itemSize = elementSize(type, size);
      if (itemSize == 0) itemSize = end - pos;
      if (pos + itemSize > end) break;
    }
    if (!first) putChar(0x2c);
    first = false;
    if (json) putJsonValue(type, pos, itemSize);
    else putScalar(type, pos, itemSize, ESC_XML_TEXT);
    pos += itemSize;
    if (type == T_STRING) pos += 2;
    else if (type == T_ANSI) pos += 1;
    if (itemSize == 0 && type != T_STRING && type != T_ANSI) break;
  }
  if (json) putChar(0x5d);
}

/** Reads `bytes` (1..8) little-endian at `offset`; shorter values (a truncated size) read as zero-extended. */
function readUnsigned(offset: i32, size: i32, bytes: i32): u64 {
  let value: u64 = 0;
  const n = size < bytes ? size : bytes;
  for (let i = n - 1; i >= 0; i--) value = (value << 8) | <u64>load<u8>(chunkPtr + <usize>(offset + i));
  return value;
}

function putScalar(type: u32, offset: i32, size: i32, mode: i32): void {
  switch (type) {
    case T_NULL: return;
    case T_STRING: putUtf16(offset, utf16Chars(offset, size), mode); return;
    case T_ANSI: putAnsi(offset, size, mode); return;
    case T_INT8: putDecimalI64(<i64>(<i8>readUnsigned(offset, size, 1))); return;
    case T_UINT8: putDecimalU64(readUnsigned(offset, size, 1)); return;
    case T_INT16: putDecimalI64(<i64>(<i16>readUnsigned(offset, size, 2))); return;
    case T_UINT16: putDecimalU64(readUnsigned(offset, size, 2)); return;
    case T_INT32: putDecimalI64(<i64>(<i32>readUnsigned(offset, size, 4))); return;
    case T_UINT32: putDecimalU64(readUnsigned(offset, size, 4)); return;
    case T_INT64: putDecimalI64(<i64>readUnsigned(offset, size, 8)); return;
    case T_UINT64: putDecimalU64(readUnsigned(offset, size, 8)); return;
    case T_REAL32: putReal(<f64>reinterpret<f32>(<u32>readUnsigned(offset, size, 4))); return;
    case T_REAL64: putReal(reinterpret<f64>(readUnsigned(offset, size, 8))); return;
    case T_BOOL: putLiteral(readUnsigned(offset, size, 4) != 0 ? "true" : "false"); return;
    case T_GUID: putGuid(offset, size); return;
    case T_SIZET:
    case T_HEX32:
    case T_HEX64:
      putLiteral("0x");
      putHexU64(readUnsigned(offset, size, type == T_HEX32 ? 4 : 8), false);
      return;
    case T_FILETIME: putFiletime(readUnsigned(offset, size, 8), 6); return;
    case T_SYSTEMTIME: putSystemtime(offset, size); return;
    case T_SID: putSid(offset, size); return;
    default: putBinary(offset, size); return; // binary, handles, EvtXml and unknown types as hex
  }
}

function putReal(value: f64): void {
  if (!isFinite(value)) {
    putLiteral("null");
    return;
  }
  let text = value.toString();
  if (text.endsWith(".0")) text = text.substring(0, text.length - 2);
  putLiteral(text);
}

function putBinary(offset: i32, size: i32): void {
  reserve(size * 2);
  for (let i = 0; i < size; i++) putHexFixed(<u64>load<u8>(chunkPtr + <usize>(offset + i)), 2, true);
}

function putGuid(offset: i32, size: i32): void {
  if (size < 16) {
    putBinary(offset, size);
    return;
  }
  const p = chunkPtr + <usize>offset;
  putHexFixed(<u64>load<u32>(p), 8, true);
  putChar(0x2d);
  putHexFixed(<u64>load<u16>(p + 4), 4, true);
  putChar(0x2d);
  putHexFixed(<u64>load<u16>(p + 6), 4, true);
  putChar(0x2d);
  for (let i = 8; i < 16; i++) {
    if (i == 10) putChar(0x2d);
    putHexFixed(<u64>load<u8>(p + <usize>i), 2, true);
  }
}

function putSid(offset: i32, size: i32): void {
  const p = chunkPtr + <usize>offset;
  if (size < 8 || size < 8 + 4 * <i32>load<u8>(p + 1)) {
    putBinary(offset, size);
    return;
  }
  const subAuthorities = <i32>load<u8>(p + 1);
  let authority: u64 = 0;
  for (let i = 2; i < 8; i++) authority = (authority << 8) | <u64>load<u8>(p + <usize>i);
  putLiteral("S-");
  putDecimalU64(<u64>load<u8>(p));
  putChar(0x2d);
  putDecimalU64(authority);
  for (let i = 0; i < subAuthorities; i++) {
    putChar(0x2d);
    putDecimalU64(<u64>load<u32>(p + 8 + <usize>(i * 4)));
  }
}

function putSystemtime(offset: i32, size: i32): void {
  if (size < 16) {
    putBinary(offset, size);
    return;
  }
  const p = chunkPtr + <usize>offset;
  const year = <i32>load<u16>(p);
  const month = <i32>load<u16>(p + 2);
  const day = <i32>load<u16>(p + 6);
  // Validate via days-from-civil so that the printed date is always a real one.
  const y = month <= 2 ? year - 1 : year;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = (153 * mp + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    putBinary(offset, size);
    return;
  }
  putCivilDate(<i64>(era * 146097 + doe - 719468));
  putChar(0x54);
  putPadded(<u32>load<u16>(p + 8) % 100, 2);
  putChar(0x3a);
  putPadded(<u32>load<u16>(p + 10) % 100, 2);
  putChar(0x3a);
  putPadded(<u32>load<u16>(p + 12) % 100, 2);
  putChar(0x2e);
  putPadded(<u32>load<u16>(p + 14) % 1000, 3);
  putLiteral("000Z");
}
