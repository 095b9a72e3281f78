// Cells: i32 size (negative when allocated) followed by data, addressed by offsets relative to the first
// hive bin (file offset 4096). Every structure reader gets its cell through cellData(), which checks the
// cell lies inside the hive bins area.
import { fits, inputSize, u32At } from "../lnk/input";
import { reportError, R_BAD_SIZE, R_OFFSET_OUT_OF_RANGE, R_TRUNCATED } from "./records";

export const BASE_BLOCK_SIZE: i32 = 4096;
export const NO_CELL: u32 = 0xffffffff;

/** End (file offset) of the hive bins area, clamped to the file. */
export let binsEnd: i32 = 0;
/** Data size of the cell found by the last successful cellData() call. */
export let cellSize: i32 = 0;

export function setBinsEnd(declaredSize: u32): void {
  const declaredEnd = <i64>BASE_BLOCK_SIZE + <i64>declaredSize;
  binsEnd = declaredEnd < <i64>inputSize ? <i32>declaredEnd : inputSize;
}

/** File offset of the data of the cell at `cellOffset`, or -1 (error reported against `structure`). */
export function cellData(cellOffset: u32, structure: i32, keyOffset: i32): i32 {
  if (cellOffset >= <u32>(binsEnd - BASE_BLOCK_SIZE) || (cellOffset & 7) != 0) {
    reportError(structure, <i32>cellOffset, R_OFFSET_OUT_OF_RANGE, -1, 0, keyOffset);
    return -1;
  }
  const at = BASE_BLOCK_SIZE + <i32>cellOffset;
  if (!fits(at, 4, binsEnd)) {
    reportError(structure, at, R_TRUNCATED, 4, binsEnd - at, keyOffset);
    return -1;
  }
  const raw = <i32>u32At(at);
  // Allocated cells have a negative size; free ones a positive size. Referenced free cells are still read.
  const size = raw < 0 ? -raw : raw;
  if (size < 8 || raw == i32.MIN_VALUE) {
    reportError(structure, at, R_BAD_SIZE, -1, 0, keyOffset);
    return -1;
  }
  if (!fits(at, size, binsEnd)) {
    reportError(structure, at, R_TRUNCATED, size, binsEnd - at, keyOffset);
    return -1;
  }
  cellSize = size - 4;
  return at + 4;
}
