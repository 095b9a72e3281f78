// Shell items (the entries of an ITEMIDLIST). Windows does not document them; layouts follow the libfwsi
// notes: class type byte at offset 2 selects root folder, volume, file entry, network location or URI.
// File entries carry extension blocks (0xBEEFxxxx), of which 0xBEEF0004 holds the long name, the
// creation/access times and the NTFS file reference.
import {
  emit, KIND_ANSI, KIND_BEGIN, KIND_BYTES, KIND_END, KIND_FATTIME, KIND_GUID, KIND_U32, KIND_U64, KIND_UTF16,
} from "./entries";
import { fail } from "./errors";
import { ansiLength, fits, u16At, u32At, u8At, utf16Length } from "./input";
import * as T from "./tags";

const EXTENSION_SIGNATURE_HIGH: u32 = 0xbeef;

export function parseShellItem(start: i32, size: i32): void {
  const end = start + size;
  const classType: i32 = size > 2 ? <i32>u8At(start + 2) : -1;
  emit(KIND_BEGIN, T.T_SHELL_ITEM, start, size, classType);
  if (classType == 0x1f || (classType & 0x70) == 0x20) {
    if (classType == 0x1f) parseRootFolder(start, end);
    else parseVolume(start, end, classType);
    // Newer root folder and volume items append extension blocks (e.g. 0xBEEF0025) named by the trailing offset.
    const firstExtension = extensionOffset(start, end);
    if (firstExtension > 0) parseExtensionBlocks(firstExtension, end);
  }
  else if ((classType & 0x70) == 0x30) parseFileEntry(start, end, classType);
  else if ((classType & 0x70) == 0x40) parseNetworkLocation(start, end);
  else if (classType == 0x61) parseUri(start, end);
  else if (size > 2) {
    // Other items (delegates such as 0x74 "CFSF", vendor items) stay raw, but their extension blocks,
    // which carry the long name and file reference, are still read when the trailing offset names them.
    emit(KIND_BYTES, T.T_RAW_DATA, start + 2, size - 2);
    const firstExtension = extensionOffset(start, end);
    if (firstExtension > 0) parseExtensionBlocks(firstExtension, end);
  }
  emit(KIND_END, T.T_SHELL_ITEM, start);
}

function parseRootFolder(start: i32, end: i32): void {
  if (fits(start + 3, 1, end)) emit(KIND_U32, T.T_SORT_INDEX, u8At(start + 3));
  if (fits(start + 4, 16, end)) emit(KIND_GUID, T.T_CLSID, start + 4);
}

function parseVolume(start: i32, end: i32, classType: i32): void {
  // Class types with bit 0 set carry the drive name ("C:\") as 8-bit text; others hold a CLSID at 4.
  if ((classType & 1) != 0) {
    const nameStart = start + 3;
    emit(KIND_ANSI, T.T_VOLUME_NAME, nameStart, ansiLength(nameStart, min(end, nameStart + 20)));
  } else if (fits(start + 4, 16, end)) {
    emit(KIND_GUID, T.T_CLSID, start + 4);
  }
}

function parseFileEntry(start: i32, end: i32, classType: i32): void {
  if (!fits(start, 14, end)) {
    emit(KIND_BYTES, T.T_RAW_DATA, start + 2, end - start - 2);
    return;
  }
  emit(KIND_U32, T.T_ITEM_FILE_SIZE, u32At(start + 4));
  emit(KIND_FATTIME, T.T_MODIFICATION_TIME, u32At(start + 8));
  emit(KIND_U32, T.T_ITEM_ATTRIBUTES, u16At(start + 12));
  // The item's last u16 is the offset of its first extension block. When it points at one, the names end
  // there (some items carry a primary name without a terminator right up to the block).
  const firstExtension = extensionOffset(start, end);
  const namesEnd = firstExtension > 0 ? firstExtension : end;
  const nameStart = start + 14;
  let nameEnd: i32;
  if ((classType & 0x04) != 0) {
    const length = utf16Length(nameStart, namesEnd);
    emit(KIND_UTF16, T.T_PRIMARY_NAME, nameStart, length);
    nameEnd = nameStart + length + 2;
  } else {
    const length = ansiLength(nameStart, namesEnd);
    emit(KIND_ANSI, T.T_PRIMARY_NAME, nameStart, length);
    nameEnd = nameStart + length + 1;
  }
  // Alignment is relative to the item, which itself may start at an odd file offset.
  parseExtensionBlocks(firstExtension > 0 ? firstExtension : nameEnd + ((nameEnd - start) & 1), end);
}

/** File offset of the first extension block named by the item's trailing u16, or -1 when it names none. */
function extensionOffset(start: i32, end: i32): i32 {
  if (!fits(end - 2, 2, end)) return -1;
  const at = start + <i32>u16At(end - 2);
  if (at < start + 14 || !fits(at, 8, end - 2)) return -1;
  return (u32At(at + 4) >>> 16) == EXTENSION_SIGNATURE_HIGH ? at : -1;
}

/** Finds the first 0xBEEFxxxx block after the names (XP items put a secondary 8-bit name first) and walks the chain. */
function parseExtensionBlocks(from: i32, end: i32): void {
  let at = from;
  while (fits(at, 8, end) && (u32At(at + 4) >>> 16) != EXTENSION_SIGNATURE_HIGH) at += 2;
  while (fits(at, 8, end)) {
    const blockSize = <i32>u16At(at);
    const signature = u32At(at + 4);
    if ((signature >>> 16) != EXTENSION_SIGNATURE_HIGH) return; // the chain ends (trailing data follows)
    if (blockSize < 8 || !fits(at, blockSize, end)) {
      // Recorded, not fatal: the item itself is intact, only its extension block lies about its size.
      fail(T.S_SHELL_ITEM, at, T.R_BAD_SIZE);
      return;
    }
    emit(KIND_BEGIN, T.T_EXTENSION_BLOCK, at, blockSize, <i32>signature);
    emit(KIND_U32, T.T_EXTENSION_VERSION, u16At(at + 2));
    if (signature == 0xbeef0004) parseFileEntryExtension(at, at + blockSize);
    emit(KIND_END, T.T_EXTENSION_BLOCK, at);
    at += blockSize;
  }
}

function parseFileEntryExtension(start: i32, end: i32): void {
  const version = <i32>u16At(start + 2);
  if (!fits(start, 18, end)) return;
  emit(KIND_FATTIME, T.T_EXT_CREATION_TIME, u32At(start + 8));
  emit(KIND_FATTIME, T.T_EXT_ACCESS_TIME, u32At(start + 12));
  let at = start + 18;
  if (version >= 7) {
    if (!fits(start + 20, 16, end)) return;
    emit(KIND_U64, T.T_FILE_REFERENCE, u32At(start + 20), u32At(start + 24));
    at = start + 36;
  }
  if (version < 3 || !fits(at, 2, end)) return;
  const localizedNameSize = <i32>u16At(at);
  at += 2;
  if (version >= 9) at += 4;
  if (version >= 8) at += 4;
  // The block ends with a 2-byte offset back to its own start; names never extend into it.
  const namesEnd = end - 2;
  if (!fits(at, 2, namesEnd)) return;
  const longNameLength = utf16Length(at, namesEnd);
  emit(KIND_UTF16, T.T_LONG_NAME, at, longNameLength);
  at += longNameLength + 2;
  if (localizedNameSize > 0 && at < namesEnd) {
    if (version >= 7) emit(KIND_UTF16, T.T_LOCALIZED_NAME, at, utf16Length(at, namesEnd));
    else emit(KIND_ANSI, T.T_LOCALIZED_NAME, at, ansiLength(at, namesEnd));
  }
}

function parseNetworkLocation(start: i32, end: i32): void {
  // Offset 3 is unknown, 4 holds the flags (0x80: description follows, 0x40: comments follow).
  if (!fits(start, 6, end)) return;
  const flags = u8At(start + 4);
  let at = start + 5;
  const location = ansiLength(at, end);
  emit(KIND_ANSI, T.T_NETWORK_LOCATION, at, location);
  at += location + 1;
  if ((flags & 0x80) != 0 && at < end) {
    const description = ansiLength(at, end);
    emit(KIND_ANSI, T.T_NETWORK_DESCRIPTION, at, description);
    at += description + 1;
  }
  if ((flags & 0x40) != 0 && at < end) emit(KIND_ANSI, T.T_NETWORK_COMMENTS, at, ansiLength(at, end));
}

function parseUri(start: i32, end: i32): void {
  // Flags at 3 (0x80: UTF-16), a u16 data size at 4 and 2 unknown bytes; with no data block the URI text
  // starts at 8 and extension blocks (e.g. 0xBEEF0014) follow it. Items with a data block stay raw.
  if (!fits(start, 8, end)) return;
  if (u16At(start + 4) != 0) {
    emit(KIND_BYTES, T.T_RAW_DATA, start + 2, end - start - 2);
    return;
  }
  const at = start + 8;
  let textEnd: i32;
  if ((u8At(start + 3) & 0x80) != 0) {
    const length = utf16Length(at, end);
    emit(KIND_UTF16, T.T_URI, at, length);
    textEnd = at + length + 2;
  } else {
    const length = ansiLength(at, end);
    emit(KIND_ANSI, T.T_URI, at, length);
    textEnd = at + length + 1;
  }
  parseExtensionBlocks(textEnd + ((textEnd - start) & 1), end);
}
