// ShellLinkHeader (MS-SHLLINK 2.1): fixed 76 bytes with the link CLSID 00021401-0000-0000-C000-000000000046.
import { emit, KIND_FILETIME, KIND_I32, KIND_U32 } from "./entries";
import { fail, failShort } from "./errors";
import { fits, inputSize, u16At, u32At } from "./input";
import * as T from "./tags";

export const HEADER_SIZE: i32 = 0x4c;

export function parseHeader(): bool {
  if (!fits(0, 4, inputSize)) return failShort(T.S_HEADER, 0, HEADER_SIZE, inputSize);
  if (u32At(0) != <u32>HEADER_SIZE) return fail(T.S_HEADER, 0, T.R_INVALID_SIGNATURE);
  if (!fits(0, HEADER_SIZE, inputSize)) return failShort(T.S_HEADER, 0, HEADER_SIZE, inputSize);
  if (u32At(4) != 0x00021401 || u32At(8) != 0 || u32At(12) != 0xc0 || u32At(16) != 0x46000000) {
    return fail(T.S_HEADER, 4, T.R_INVALID_SIGNATURE);
  }
  emit(KIND_U32, T.T_LINK_FLAGS, u32At(20));
  emit(KIND_U32, T.T_FILE_ATTRIBUTES, u32At(24));
  emit(KIND_FILETIME, T.T_CREATION_TIME, u32At(28), u32At(32));
  emit(KIND_FILETIME, T.T_ACCESS_TIME, u32At(36), u32At(40));
  emit(KIND_FILETIME, T.T_WRITE_TIME, u32At(44), u32At(48));
  emit(KIND_U32, T.T_FILE_SIZE, u32At(52));
  emit(KIND_I32, T.T_ICON_INDEX, u32At(56));
  emit(KIND_U32, T.T_SHOW_COMMAND, u32At(60));
  emit(KIND_U32, T.T_HOT_KEY, u16At(64));
  return true;
}
