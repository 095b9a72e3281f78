// LinkInfo (MS-SHLLINK 2.3): VolumeID + LocalBasePath and/or CommonNetworkRelativeLink, then the common
// path suffix; headers of 0x24 bytes or more add UTF-16 copies of the paths. Offsets are relative to the
// start of each structure and must stay inside it.
import { emit, KIND_ANSI, KIND_BEGIN, KIND_END, KIND_U32, KIND_UTF16 } from "./entries";
import { fail, failShort } from "./errors";
import { ansiLength, fits, u32At, utf16Length } from "./input";
import * as T from "./tags";

/** Returns the offset after LinkInfo, or -1. */
export function parseLinkInfo(start: i32, fileEnd: i32): i32 {
  if (!fits(start, 0x1c, fileEnd)) {
    failShort(T.S_LINK_INFO, start, 0x1c, fileEnd);
    return -1;
  }
  const size = <i32>u32At(start);
  const headerSize = <i32>u32At(start + 4);
  if (size < 0x1c || headerSize < 0x1c || headerSize > size) {
    fail(T.S_LINK_INFO, start, T.R_BAD_SIZE);
    return -1;
  }
  if (!fits(start, size, fileEnd)) {
    failShort(T.S_LINK_INFO, start, size, fileEnd);
    return -1;
  }
  const end = start + size;
  const flags = u32At(start + 8);
  emit(KIND_BEGIN, T.T_LINK_INFO, start, size);
  emit(KIND_U32, T.T_LINK_INFO_FLAGS, flags);
  if ((flags & 1) != 0) {
    if (!parseVolumeId(start + <i32>u32At(start + 12), end)) return -1;
    if (!emitAnsiAt(T.T_LOCAL_BASE_PATH, start, u32At(start + 16), end)) return -1;
  }
  if ((flags & 2) != 0) {
    if (!parseCommonNetworkRelativeLink(start + <i32>u32At(start + 20), end)) return -1;
  }
  if (!emitAnsiAt(T.T_COMMON_PATH_SUFFIX, start, u32At(start + 24), end)) return -1;
  if (headerSize >= 0x24) {
    if ((flags & 1) != 0 && !emitUtf16At(T.T_LOCAL_BASE_PATH_UNICODE, start, u32At(start + 28), end)) return -1;
    if (!emitUtf16At(T.T_COMMON_PATH_SUFFIX_UNICODE, start, u32At(start + 32), end)) return -1;
  }
  emit(KIND_END, T.T_LINK_INFO, start);
  return end;
}

function parseVolumeId(start: i32, end: i32): bool {
  if (!fits(start, 0x10, end)) return failShort(T.S_VOLUME_ID, start, 0x10, end);
  const size = <i32>u32At(start);
  if (size < 0x10) return fail(T.S_VOLUME_ID, start, T.R_BAD_SIZE);
  if (!fits(start, size, end)) return failShort(T.S_VOLUME_ID, start, size, end);
  const volumeEnd = start + size;
  emit(KIND_U32, T.T_DRIVE_TYPE, u32At(start + 4));
  emit(KIND_U32, T.T_DRIVE_SERIAL, u32At(start + 8));
  const labelOffset = u32At(start + 12);
  if (labelOffset == 0x14) {
    if (!fits(start, 0x14, volumeEnd)) return failShort(T.S_VOLUME_ID, start, 0x14, volumeEnd);
    return emitUtf16At(T.T_VOLUME_ID_UNICODE_LABEL, start, u32At(start + 16), volumeEnd);
  }
  return emitAnsiAt(T.T_VOLUME_LABEL, start, labelOffset, volumeEnd);
}

function parseCommonNetworkRelativeLink(start: i32, end: i32): bool {
  if (!fits(start, 0x14, end)) return failShort(T.S_COMMON_NETWORK_RELATIVE_LINK, start, 0x14, end);
  const size = <i32>u32At(start);
  if (size < 0x14) return fail(T.S_COMMON_NETWORK_RELATIVE_LINK, start, T.R_BAD_SIZE);
  if (!fits(start, size, end)) return failShort(T.S_COMMON_NETWORK_RELATIVE_LINK, start, size, end);
  const linkEnd = start + size;
  const flags = u32At(start + 4);
  const netNameOffset = u32At(start + 8);
  emit(KIND_U32, T.T_COMMON_NETWORK_FLAGS, flags);
  if (!emitAnsiAt(T.T_NET_NAME, start, netNameOffset, linkEnd)) return false;
  if ((flags & 1) != 0 && !emitAnsiAt(T.T_DEVICE_NAME, start, u32At(start + 12), linkEnd)) return false;
  if ((flags & 2) != 0) emit(KIND_U32, T.T_NETWORK_PROVIDER_TYPE, u32At(start + 16));
  if (netNameOffset > 0x14 && fits(start, 0x1c, linkEnd)) {
    if (!emitUtf16At(T.T_NET_NAME_UNICODE, start, u32At(start + 20), linkEnd)) return false;
    if ((flags & 1) != 0 && !emitUtf16At(T.T_DEVICE_NAME_UNICODE, start, u32At(start + 24), linkEnd)) return false;
  }
  return true;
}

function emitAnsiAt(tag: i32, structureStart: i32, relativeOffset: u32, end: i32): bool {
  if (relativeOffset == 0) return true; // absent
  const at = structureStart + <i32>relativeOffset;
  if (relativeOffset >= <u32>(end - structureStart)) return fail(T.S_LINK_INFO, structureStart, T.R_OFFSET_OUT_OF_RANGE);
  emit(KIND_ANSI, tag, at, ansiLength(at, end));
  return true;
}

function emitUtf16At(tag: i32, structureStart: i32, relativeOffset: u32, end: i32): bool {
  if (relativeOffset == 0) return true; // absent
  const at = structureStart + <i32>relativeOffset;
  if (relativeOffset >= <u32>(end - structureStart)) return fail(T.S_LINK_INFO, structureStart, T.R_OFFSET_OUT_OF_RANGE);
  emit(KIND_UTF16, tag, at, utf16Length(at, end));
  return true;
}
