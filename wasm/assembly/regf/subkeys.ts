// Subkey lists: lf/lh ([u16 count][offset, hash]*), li ([u16 count][offset]*) and ri, an index of further
// lists (one level; an ri inside an ri is treated as corrupt so a crafted list cannot recurse).
import { fits, u16At, u32At } from "../lnk/input";
import { BASE_BLOCK_SIZE, binsEnd, cellData, cellSize } from "./cells";
import { R_BAD_SIGNATURE, R_BAD_SIZE, R_TRUNCATED, reportError, S_SUBKEY_LIST } from "./records";

/** Smallest nk cell (76-byte header + size field); no key can have more distinct subkeys than fit. */
const MIN_NK_CELL: i32 = 80;

const LF: u32 = 0x666c;
const LH: u32 = 0x686c;
const LI: u32 = 0x696c;
const RI: u32 = 0x6972;

/** Appends the nk offsets listed by the subkey list at `listOffset` to `into`; false if any part was damaged. */
export function collectSubkeys(listOffset: u32, into: Array<u32>, keyOffset: i32): bool {
  const data = cellData(listOffset, S_SUBKEY_LIST, keyOffset);
  if (data < 0) return false;
  const signature = u16At(data);
  if (signature != RI) return collectLeaf(data, cellSize, into, keyOffset);
  const end = data + cellSize;
  const count = <i32>u16At(data + 2);
  if (!fits(data + 4, count * 4, end)) {
    reportError(S_SUBKEY_LIST, data - 4, R_TRUNCATED, count * 4 + 4, cellSize, keyOffset);
    return false;
  }
  let intact = true;
  for (let i = 0; i < count; i++) {
    const leaf = cellData(u32At(data + 4 + i * 4), S_SUBKEY_LIST, keyOffset);
    if (leaf < 0 || !collectLeaf(leaf, cellSize, into, keyOffset)) intact = false;
  }
  return intact;
}

function collectLeaf(data: i32, size: i32, into: Array<u32>, keyOffset: i32): bool {
  const signature = u16At(data);
  const end = data + size;
  let stride = 0;
  if (signature == LF || signature == LH) stride = 8;
  else if (signature == LI) stride = 4;
  else {
    reportError(S_SUBKEY_LIST, data - 4, R_BAD_SIGNATURE, -1, 0, keyOffset);
    return false;
  }
  const count = <i32>u16At(data + 2);
  if (!fits(data + 4, count * stride, end)) {
    reportError(S_SUBKEY_LIST, data - 4, R_TRUNCATED, count * stride + 4, size, keyOffset);
    return false;
  }
  // An ri may list the same leaf many times; cap the total so a crafted index cannot multiply entries.
  const limit = (binsEnd - BASE_BLOCK_SIZE) / MIN_NK_CELL + 1;
  for (let i = 0; i < count; i++) {
    if (into.length >= limit) {
      reportError(S_SUBKEY_LIST, data - 4, R_BAD_SIZE, -1, 0, keyOffset);
      return false;
    }
    into.push(u32At(data + 4 + i * stride));
  }
  return true;
}
