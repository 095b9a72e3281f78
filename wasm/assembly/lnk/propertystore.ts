// Serialized property storage (MS-PROPSTORE 2.2): storages of [u32 size, "1SPS", format GUID, values],
// each value [u32 size, u32 id | u32 name size + name, u8 reserved, TypedPropertyValue]. A storage with
// the format D5CDD505-2E9C-101B-9397-08002B2CF9AE names its values by string instead of by id.
import {
  emit, KIND_ANSI, KIND_BEGIN, KIND_BYTES, KIND_END, KIND_FILETIME, KIND_GUID, KIND_I32, KIND_U32, KIND_U64, KIND_UTF16,
} from "./entries";
import { fail } from "./errors";
import { ansiLength, fits, u16At, u32At, u8At, utf16Length } from "./input";
import * as T from "./tags";

const STORAGE_VERSION: u32 = 0x53505331;

export function parsePropertyStore(start: i32, end: i32): void {
  let at = start;
  while (fits(at, 4, end)) {
    const storageSize = <i32>u32At(at);
    if (storageSize == 0) return;
    if (storageSize < 24 || !fits(at, storageSize, end) || u32At(at + 4) != STORAGE_VERSION) {
      fail(T.S_PROPERTY_STORE, at, T.R_BAD_SIZE);
      return;
    }
    emit(KIND_BEGIN, T.T_PROPERTY_STORAGE, at, storageSize);
    emit(KIND_GUID, T.T_FORMAT_ID, at + 8);
    const named = u32At(at + 8) == 0xd5cdd505 && u32At(at + 12) == 0x101b2e9c && u32At(at + 16) == 0x00089793 &&
      u32At(at + 20) == 0xaef92c2b;
    parseValues(at + 24, at + storageSize, named);
    emit(KIND_END, T.T_PROPERTY_STORAGE, at);
    at += storageSize;
  }
}

function parseValues(start: i32, end: i32, named: bool): void {
  let at = start;
  while (fits(at, 4, end)) {
    const valueSize = <i32>u32At(at);
    if (valueSize == 0) return;
    if (valueSize < 9 || !fits(at, valueSize, end)) {
      fail(T.S_PROPERTY_STORE, at, T.R_BAD_SIZE);
      return;
    }
    const valueEnd = at + valueSize;
    let typed = at + 9;
    emit(KIND_BEGIN, T.T_PROPERTY, at, valueSize);
    if (named) {
      const nameBytes = <i32>u32At(at + 4);
      if (fits(at + 9, nameBytes, valueEnd)) {
        emit(KIND_UTF16, T.T_PROPERTY_NAME, at + 9, utf16Length(at + 9, at + 9 + nameBytes));
        typed = at + 9 + nameBytes;
      } else typed = valueEnd;
    } else {
      emit(KIND_U32, T.T_PROPERTY_ID, u32At(at + 4));
    }
    parseTypedValue(typed, valueEnd);
    emit(KIND_END, T.T_PROPERTY, at);
    at = valueEnd;
  }
}

/** TypedPropertyValue (MS-OLEPS 2.15) for the scalar and string types shell links use. */
function parseTypedValue(start: i32, end: i32): void {
  if (!fits(start, 4, end)) return;
  const type = u16At(start);
  const data = start + 4;
  emit(KIND_U32, T.T_PROPERTY_TYPE, type);
  switch (type) {
    case 0x02: case 0x12: // VT_I2, VT_UI2
      if (fits(data, 2, end)) emit(type == 0x02 ? KIND_I32 : KIND_U32, T.T_PROPERTY_VALUE, type == 0x02 ? <i32><i16>u16At(data) : u16At(data));
      return;
    case 0x03: case 0x16: // VT_I4, VT_INT
      if (fits(data, 4, end)) emit(KIND_I32, T.T_PROPERTY_VALUE, u32At(data));
      return;
    case 0x13: case 0x17: // VT_UI4, VT_UINT
      if (fits(data, 4, end)) emit(KIND_U32, T.T_PROPERTY_VALUE, u32At(data));
      return;
    case 0x0b: // VT_BOOL
      if (fits(data, 2, end)) emit(KIND_U32, T.T_PROPERTY_VALUE, u16At(data) != 0 ? 1 : 0);
      return;
    case 0x11: // VT_UI1
      if (fits(data, 1, end)) emit(KIND_U32, T.T_PROPERTY_VALUE, u8At(data));
      return;
    case 0x14: case 0x15: // VT_I8, VT_UI8
      if (fits(data, 8, end)) emit(KIND_U64, T.T_PROPERTY_VALUE, u32At(data), u32At(data + 4));
      return;
    case 0x40: // VT_FILETIME
      if (fits(data, 8, end)) emit(KIND_FILETIME, T.T_PROPERTY_VALUE, u32At(data), u32At(data + 4));
      return;
    case 0x48: // VT_CLSID
      if (fits(data, 16, end)) emit(KIND_GUID, T.T_PROPERTY_VALUE, data);
      return;
    case 0x1f: { // VT_LPWSTR: character count including the NUL
      if (!fits(data, 4, end)) return;
      const bytes = <i32>u32At(data) * 2;
      if (fits(data + 4, bytes, end)) emit(KIND_UTF16, T.T_PROPERTY_VALUE, data + 4, utf16Length(data + 4, data + 4 + bytes));
      return;
    }
    case 0x08: { // VT_BSTR: byte count
      if (!fits(data, 4, end)) return;
      const bytes = <i32>u32At(data);
      if (fits(data + 4, bytes, end)) emit(KIND_UTF16, T.T_PROPERTY_VALUE, data + 4, utf16Length(data + 4, data + 4 + bytes));
      return;
    }
    case 0x1e: { // VT_LPSTR: byte count including the NUL
      if (!fits(data, 4, end)) return;
      const bytes = <i32>u32At(data);
      if (fits(data + 4, bytes, end)) emit(KIND_ANSI, T.T_PROPERTY_VALUE, data + 4, ansiLength(data + 4, data + 4 + bytes));
      return;
    }
    default:
      if (end > data) emit(KIND_BYTES, T.T_PROPERTY_VALUE, data, end - data);
  }
}
