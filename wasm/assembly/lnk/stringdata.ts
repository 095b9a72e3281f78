// StringData (MS-SHLLINK 2.4): u16 character count + characters, UTF-16 when IsUnicode is set, else the
// system code page. Present in a fixed order, one flag each.
import { emit, KIND_ANSI, KIND_UTF16 } from "./entries";
import { failShort } from "./errors";
import { fits, u16At } from "./input";
import * as T from "./tags";

const HAS_NAME: u32 = 0x4;
const IS_UNICODE: u32 = 0x80;

/** Returns the offset after the string data, or -1. */
export function parseStringData(start: i32, fileEnd: i32, linkFlags: u32): i32 {
  let at = start;
  const unicode = (linkFlags & IS_UNICODE) != 0;
  // Flags 0x4 .. 0x40 select NAME, RELATIVE_PATH, WORKING_DIR, ARGUMENTS, ICON_LOCATION in that order.
  for (let bit: i32 = 0; bit < 5; bit++) {
    if ((linkFlags & (HAS_NAME << bit)) == 0) continue;
    if (!fits(at, 2, fileEnd)) {
      failShort(T.S_STRING_DATA, at, 2, fileEnd);
      return -1;
    }
    const count = <i32>u16At(at);
    const bytes = unicode ? count * 2 : count;
    if (!fits(at + 2, bytes, fileEnd)) {
      failShort(T.S_STRING_DATA, at + 2, bytes, fileEnd);
      return -1;
    }
    emit(unicode ? KIND_UTF16 : KIND_ANSI, T.T_NAME + bit, at + 2, bytes);
    at += 2 + bytes;
  }
  return at;
}
