// LNK (MS-SHLLINK) parser. ABI: JS calls alloc(length), copies the file to the returned pointer, calls
// parse(), then reads entries (see entries.ts) from entriesPointer()/entriesWordCount(). parse() returns
// 1 when the link parsed, possibly with error entries for damaged extension or extra-data blocks (parsing
// went on after them), and 0 when the header, ID list, link info or string data is unusable; that error
// entry is then the last one.
import { resetEntries } from "./entries";
import { parseExtraData } from "./extradata";
import { HEADER_SIZE, parseHeader } from "./header";
import { parseLinkTargetIdList } from "./idlist";
import { failShort } from "./errors";
import { allocInput, fits, inputSize, u32At } from "./input";
import { parseLinkInfo } from "./linkinfo";
import { parseStringData } from "./stringdata";
import { S_LINK_INFO } from "./tags";

export { entriesPointer, entriesWordCount } from "./entries";

const HAS_LINK_TARGET_ID_LIST: u32 = 0x1;
const HAS_LINK_INFO: u32 = 0x2;
const FORCE_NO_LINK_INFO: u32 = 0x100;

export function alloc(length: i32): usize {
  return allocInput(length);
}

export function parse(): i32 {
  resetEntries();
  if (!parseHeader()) return 0;
  const flags = u32At(20);
  let at = HEADER_SIZE;
  if ((flags & HAS_LINK_TARGET_ID_LIST) != 0) {
    at = parseLinkTargetIdList(at, inputSize);
    if (at < 0) return 0;
  }
  if ((flags & HAS_LINK_INFO) != 0 && (flags & FORCE_NO_LINK_INFO) == 0) {
    at = parseLinkInfo(at, inputSize);
    if (at < 0) return 0;
  } else if ((flags & HAS_LINK_INFO) != 0) {
    // ForceNoLinkInfo: the structure is present but must be skipped by its size.
    if (!fits(at, 4, inputSize) || !fits(at, <i32>u32At(at), inputSize)) return <i32>failShort(S_LINK_INFO, at, 4, inputSize);
    at += <i32>u32At(at);
  }
  at = parseStringData(at, inputSize, flags);
  if (at < 0) return 0;
  parseExtraData(at, inputSize);
  return 1;
}
