// ExtraData (MS-SHLLINK 2.5): blocks of [u32 size, u32 signature, data] ending with a size below 4.
// A damaged block ends the walk with an error entry; everything parsed before it is kept.
import { emit, KIND_ANSI, KIND_BEGIN, KIND_BYTES, KIND_END, KIND_GUID, KIND_U32, KIND_UTF16 } from "./entries";
import { fail, failShort } from "./errors";
import { parseItemList } from "./idlist";
import { ansiLength, fits, u16At, u32At, utf16Length } from "./input";
import { parsePropertyStore } from "./propertystore";
import * as T from "./tags";

const CONSOLE: u32 = 0xa0000002;
const TRACKER: u32 = 0xa0000003;
const CONSOLE_FE: u32 = 0xa0000004;
const SPECIAL_FOLDER: u32 = 0xa0000005;
const DARWIN: u32 = 0xa0000006;
const ICON_ENVIRONMENT: u32 = 0xa0000007;
const SHIM: u32 = 0xa0000008;
const PROPERTY_STORE: u32 = 0xa0000009;
const KNOWN_FOLDER: u32 = 0xa000000b;
const VISTA_AND_ABOVE_ID_LIST: u32 = 0xa000000c;
const ENVIRONMENT_VARIABLES: u32 = 0xa0000001;

export function parseExtraData(start: i32, fileEnd: i32): void {
  let at = start;
  while (fits(at, 4, fileEnd)) {
    const size = <i32>u32At(at);
    if (size < 4 && size >= 0) return; // terminal block
    if (size < 8) {
      fail(T.S_EXTRA_DATA_BLOCK, at, T.R_BAD_SIZE);
      return;
    }
    if (!fits(at, size, fileEnd)) {
      failShort(T.S_EXTRA_DATA_BLOCK, at, size, fileEnd);
      return;
    }
    const signature = u32At(at + 4);
    emit(KIND_BEGIN, T.T_EXTRA_BLOCK, at, size, <i32>signature);
    parseBlock(at, at + size, signature);
    emit(KIND_END, T.T_EXTRA_BLOCK, at);
    at += size;
  }
}

function parseBlock(start: i32, end: i32, signature: u32): void {
  const data = start + 8;
  if (signature == ENVIRONMENT_VARIABLES || signature == DARWIN || signature == ICON_ENVIRONMENT) {
    if (!fits(data, 260, end)) return;
    emit(KIND_ANSI, T.T_TARGET_ANSI, data, ansiLength(data, data + 260));
    if (fits(data + 260, 520, end)) emit(KIND_UTF16, T.T_TARGET_UNICODE, data + 260, utf16Length(data + 260, data + 780));
  } else if (signature == TRACKER) {
    if (!fits(data, 88, end)) return;
    emit(KIND_U32, T.T_TRACKER_VERSION, u32At(data + 4));
    emit(KIND_ANSI, T.T_MACHINE_ID, data + 8, ansiLength(data + 8, data + 24));
    emit(KIND_GUID, T.T_DROID_VOLUME, data + 24);
    emit(KIND_GUID, T.T_DROID_FILE, data + 40);
    emit(KIND_GUID, T.T_BIRTH_DROID_VOLUME, data + 56);
    emit(KIND_GUID, T.T_BIRTH_DROID_FILE, data + 72);
  } else if (signature == KNOWN_FOLDER) {
    if (!fits(data, 20, end)) return;
    emit(KIND_GUID, T.T_KNOWN_FOLDER_ID, data);
    emit(KIND_U32, T.T_FOLDER_OFFSET, u32At(data + 16));
  } else if (signature == SPECIAL_FOLDER) {
    if (!fits(data, 8, end)) return;
    emit(KIND_U32, T.T_SPECIAL_FOLDER_ID, u32At(data));
    emit(KIND_U32, T.T_FOLDER_OFFSET, u32At(data + 4));
  } else if (signature == CONSOLE_FE) {
    if (fits(data, 4, end)) emit(KIND_U32, T.T_CODE_PAGE, u32At(data));
  } else if (signature == SHIM) {
    emit(KIND_UTF16, T.T_LAYER_NAME, data, utf16Length(data, end));
  } else if (signature == PROPERTY_STORE) {
    parsePropertyStore(data, end);
  } else if (signature == VISTA_AND_ABOVE_ID_LIST) {
    parseItemList(data, end);
  } else if (signature == CONSOLE) {
    parseConsole(data, end);
  } else if (end > data) {
    emit(KIND_BYTES, T.T_RAW_DATA, data, end - data);
  }
}

function parseConsole(data: i32, end: i32): void {
  if (!fits(data, 196, end)) return;
  emit(KIND_U32, T.T_FILL_ATTRIBUTES, u16At(data));
  emit(KIND_U32, T.T_POPUP_FILL_ATTRIBUTES, u16At(data + 2));
  emit(KIND_U32, T.T_SCREEN_BUFFER_SIZE_X, u16At(data + 4));
  emit(KIND_U32, T.T_SCREEN_BUFFER_SIZE_Y, u16At(data + 6));
  emit(KIND_U32, T.T_WINDOW_SIZE_X, u16At(data + 8));
  emit(KIND_U32, T.T_WINDOW_SIZE_Y, u16At(data + 10));
  emit(KIND_U32, T.T_WINDOW_ORIGIN_X, u16At(data + 12));
  emit(KIND_U32, T.T_WINDOW_ORIGIN_Y, u16At(data + 14));
  emit(KIND_U32, T.T_FONT_SIZE, u32At(data + 24));
  emit(KIND_U32, T.T_FONT_FAMILY, u32At(data + 28));
  emit(KIND_U32, T.T_FONT_WEIGHT, u32At(data + 32));
  emit(KIND_UTF16, T.T_FACE_NAME, data + 36, utf16Length(data + 36, data + 100));
  emit(KIND_U32, T.T_CURSOR_SIZE, u32At(data + 100));
  emit(KIND_U32, T.T_FULL_SCREEN, u32At(data + 104));
  emit(KIND_U32, T.T_QUICK_EDIT, u32At(data + 108));
  emit(KIND_U32, T.T_INSERT_MODE, u32At(data + 112));
  emit(KIND_U32, T.T_AUTO_POSITION, u32At(data + 116));
  emit(KIND_U32, T.T_HISTORY_BUFFER_SIZE, u32At(data + 120));
  emit(KIND_U32, T.T_NUMBER_OF_HISTORY_BUFFERS, u32At(data + 124));
  emit(KIND_U32, T.T_HISTORY_NO_DUP, u32At(data + 128));
  emit(KIND_BYTES, T.T_COLOR_TABLE, data + 132, 64);
}
