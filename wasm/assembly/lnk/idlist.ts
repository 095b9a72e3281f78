// IDList (MS-SHLLINK 2.2): u16 total size, then items of u16 size + data, ending with a zero size.
import { emit, KIND_BEGIN, KIND_END } from "./entries";
import { fail, failShort } from "./errors";
import { fits, u16At } from "./input";
import { parseShellItem } from "./shellitem";
import * as T from "./tags";

/** Parses items in [start, end); returns false on a structural error (already recorded). */
export function parseItemList(start: i32, end: i32): bool {
  emit(KIND_BEGIN, T.T_ID_LIST, start, end - start);
  let at = start;
  while (true) {
    if (!fits(at, 2, end)) return failShort(T.S_ID_LIST, at, 2, end);
    const itemSize = <i32>u16At(at);
    if (itemSize == 0) break;
    if (itemSize < 2) return fail(T.S_SHELL_ITEM, at, T.R_BAD_SIZE);
    if (!fits(at, itemSize, end)) return failShort(T.S_SHELL_ITEM, at, itemSize, end);
    parseShellItem(at, itemSize);
    at += itemSize;
  }
  emit(KIND_END, T.T_ID_LIST, start);
  return true;
}

/** LinkTargetIDList at `start`; returns the offset after it, or -1. */
export function parseLinkTargetIdList(start: i32, fileEnd: i32): i32 {
  if (!fits(start, 2, fileEnd)) {
    failShort(T.S_ID_LIST, start, 2, fileEnd);
    return -1;
  }
  const listSize = <i32>u16At(start);
  const end = start + 2 + listSize;
  if (!fits(start + 2, listSize, fileEnd)) {
    failShort(T.S_ID_LIST, start + 2, listSize, fileEnd);
    return -1;
  }
  return parseItemList(start + 2, end) ? end : -1;
}
