// Key tree walk. nk cells: flags at 2, last written at 4, subkey count at 20, subkey list at 28, value
// count at 36, value list at 40, security (sk) at 44, class name at 48, name length at 72, class length
// at 74, name at 76 (8-bit when flag 0x20 is set). The walk is depth-first with an explicit stack, marks
// every visited nk cell so a crafted tree cannot loop, and stops descending below MAX_DEPTH.
import { base, fits, u16At, u32At } from "../lnk/input";
import { BASE_BLOCK_SIZE, binsEnd, cellData, cellSize, NO_CELL } from "./cells";
import {
  beginRecord, field, R_BAD_SIGNATURE, R_CYCLE, R_TOO_DEEP, R_TRUNCATED, RECORD_KEY, reportError, S_CLASS_NAME, S_NK,
  S_SK,
} from "./records";
import { collectSubkeys } from "./subkeys";
import { emitValues, emittedData, resetEmittedData } from "./values";

const NK: u32 = 0x6b6e;
const SK: u32 = 0x6b73;
const MAX_DEPTH: i32 = 512;
/** A batch also ends once this much value data was emitted, which bounds what JS decodes per call. */
const BATCH_DATA_LIMIT: i64 = 16 << 20;

class Frame {
  index: i32 = 0;
  constructor(public children: Array<u32>, public keyOffset: i32) {}
}

let stack = new Array<Frame>();
let visited = new Uint8Array(0);

export function startWalk(rootOffset: u32): void {
  stack = new Array<Frame>();
  visited = new Uint8Array(((binsEnd - BASE_BLOCK_SIZE) >> 6) + 1);
  const children = new Array<u32>();
  if (emitKey(rootOffset, 0, children, -1, true)) stack.push(new Frame(children, BASE_BLOCK_SIZE + <i32>rootOffset));
}

/** Emits up to `budget` more keys (each followed by its values); returns how many, 0 when the walk is done. */
export function continueWalk(budget: i32): i32 {
  let emitted = 0;
  resetEmittedData();
  while (stack.length > 0 && emitted < budget && emittedData < BATCH_DATA_LIMIT) {
    const top = stack[stack.length - 1];
    if (top.index >= top.children.length) {
      stack.pop();
      continue;
    }
    const childOffset = top.children[top.index++];
    if (stack.length >= MAX_DEPTH) {
      reportError(S_NK, BASE_BLOCK_SIZE + <i32>childOffset, R_TOO_DEEP, -1, 0, top.keyOffset);
      continue;
    }
    const children = new Array<u32>();
    if (emitKey(childOffset, stack.length, children, top.keyOffset, true)) {
      emitted++;
      if (children.length > 0) stack.push(new Frame(children, BASE_BLOCK_SIZE + <i32>childOffset));
    }
  }
  return emitted;
}

/**
 * Emits the key record and value records of one nk cell; fills `children` with its subkey offsets.
 * Walks mark the cell as visited (a second visit is a cycle); single lookups leave the walk's marks alone.
 */
export function emitKey(nkOffset: u32, depth: i32, children: Array<u32>, parentOffset: i32, markVisited: bool): bool {
  const nk = readNk(nkOffset, parentOffset);
  if (nk < 0) return false;
  if (markVisited) {
    const slot = <i32>(nkOffset >> 3);
    const mask = <u8>(<u32>1 << <u32>(slot & 7));
    if ((visited[slot >> 3] & mask) != 0) {
      reportError(S_NK, nk - 4, R_CYCLE, -1, 0, parentOffset);
      return false;
    }
    visited[slot >> 3] |= mask;
  }
  const keyOffset = nk - 4;
  const nameLength = <i32>u16At(nk + 72);
  const classLength = <i32>u16At(nk + 74);
  const subkeyCount = <i32>u32At(nk + 20);
  const valueCount = <i32>u32At(nk + 36);
  let classPointer = -1;
  const classOffset = u32At(nk + 48);
  if (classOffset != NO_CELL && classLength > 0) {
    const data = cellData(classOffset, S_CLASS_NAME, keyOffset);
    if (data >= 0 && classLength <= cellSize) classPointer = data;
    else if (data >= 0) reportError(S_CLASS_NAME, data - 4, R_TRUNCATED, classLength, cellSize, keyOffset);
  }
  let securityPointer = -1;
  let securityLength = 0;
  const securityOffset = u32At(nk + 44);
  if (securityOffset != NO_CELL) {
    const sk = cellData(securityOffset, S_SK, keyOffset);
    if (sk >= 0 && cellSize >= 20 && u16At(sk) == SK && <i32>u32At(sk + 16) <= cellSize - 20 && <i32>u32At(sk + 16) >= 0) {
      securityPointer = sk + 20;
      securityLength = <i32>u32At(sk + 16);
    } else if (sk >= 0) {
      reportError(S_SK, sk - 4, R_BAD_SIGNATURE, -1, 0, keyOffset);
    }
  }
  beginRecord(RECORD_KEY, 14);
  field(keyOffset);
  field(depth);
  field(nk + 76);
  field(nameLength);
  field(<i32>(u16At(nk + 2) & 0x20) != 0 ? 1 : 0);
  field(<i32>u32At(nk + 4)); // last written FILETIME
  field(<i32>u32At(nk + 8));
  field(<i32>u16At(nk + 2)); // flags
  field(subkeyCount);
  field(valueCount);
  field(classPointer);
  field(classLength);
  field(securityPointer);
  field(securityLength);
  emitValues(u32At(nk + 40), valueCount, keyOffset);
  if (subkeyCount != 0) collectSubkeys(u32At(nk + 28), children, keyOffset);
  return true;
}

/** Data address of a valid nk cell at `nkOffset`, or -1 after reporting why not. */
export function readNk(nkOffset: u32, parentOffset: i32): i32 {
  const nk = cellData(nkOffset, S_NK, parentOffset);
  if (nk < 0) return -1;
  if (!fits(nk, 76, nk + cellSize)) {
    reportError(S_NK, nk - 4, R_TRUNCATED, 80, cellSize + 4, parentOffset);
    return -1;
  }
  if (u16At(nk) != NK) {
    reportError(S_NK, nk - 4, R_BAD_SIGNATURE, -1, 0, parentOffset);
    return -1;
  }
  if (!fits(nk + 76, <i32>u16At(nk + 72), nk + cellSize)) {
    reportError(S_NK, nk - 4, R_TRUNCATED, 80 + <i32>u16At(nk + 72), cellSize + 4, parentOffset);
    return -1;
  }
  return nk;
}

/** Offset (relative to the first hive bin) of the subkey of `parentOffset` named like the UTF-16 text at `name`, or -1. */
export function findChild(parentOffset: u32, name: usize, nameUnits: i32): i32 {
  const parent = readNk(parentOffset, -1);
  if (parent < 0 || u32At(parent + 20) == 0) return -1;
  const children = new Array<u32>();
  collectSubkeys(u32At(parent + 28), children, parent - 4);
  for (let i = 0; i < children.length; i++) {
    const nk = readNk(children[i], parent - 4);
    if (nk >= 0 && nameMatches(nk, name, nameUnits)) return <i32>children[i];
  }
  return -1;
}

function nameMatches(nk: i32, name: usize, nameUnits: i32): bool {
  const compressed = (u16At(nk + 2) & 0x20) != 0;
  const length = <i32>u16At(nk + 72);
  if ((compressed ? length : length >> 1) != nameUnits) return false;
  for (let i = 0; i < nameUnits; i++) {
    const stored = compressed ? <u32>load<u8>(base + <usize>(nk + 76 + i)) : u16At(nk + 76 + i * 2);
    if (foldCase(stored) != foldCase(<u32>load<u16>(name + <usize>(i * 2)))) return false;
  }
  return true;
}

/** Registry names compare case-insensitively; ASCII and Latin-1 letters are folded here. */
function foldCase(unit: u32): u32 {
  if ((unit >= 0x61 && unit <= 0x7a) || (unit >= 0xe0 && unit <= 0xfe && unit != 0xf7)) return unit - 0x20;
  return unit;
}
