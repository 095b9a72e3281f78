// Values: the key's value list (a cell of u32 vk offsets), vk cells and their data, which is inline
// (size bit 31 set, up to 4 bytes in the offset field), in one cell, or in a db ("big data") cell whose
// segment list points at cells of up to 16344 bytes each.
import { base, fits, inputSize, u16At, u32At } from "../lnk/input";
import { BASE_BLOCK_SIZE, cellData, cellSize } from "./cells";
import {
  beginRecord, DATA_IN_HIVE, DATA_IN_MEMORY, DATA_NONE, field, keepAlive, R_BAD_SIGNATURE, R_BAD_SIZE, R_TRUNCATED,
  RECORD_VALUE, reportError, S_DB, S_VALUE_DATA, S_VALUE_LIST, S_VK,
} from "./records";

const VK: u32 = 0x6b76;
const DB: u32 = 0x6264;
const SEGMENT_SIZE: i32 = 16344;

/** Bytes of value data emitted since the last resetEmittedData(); bounds what one batch hands to JS. */
export let emittedData: i64 = 0;

export function resetEmittedData(): void {
  emittedData = 0;
}

/**
 * Emits the values of one key. Distinct values occupy distinct cells, so the data of one key cannot exceed
 * the file; a crafted list that repeats one large value is cut off there with an error.
 */
export function emitValues(listOffset: u32, count: i32, keyOffset: i32): void {
  const keyDataStart = emittedData;
  if (count == 0) return;
  const list = cellData(listOffset, S_VALUE_LIST, keyOffset);
  if (list < 0) return;
  let usable = count;
  if (count < 0 || count > cellSize / 4) {
    reportError(S_VALUE_LIST, list - 4, R_TRUNCATED, count * 4, cellSize, keyOffset);
    usable = cellSize / 4;
  }
  for (let i = 0; i < usable; i++) {
    if (emittedData - keyDataStart > <i64>inputSize) {
      reportError(S_VALUE_LIST, list - 4, R_BAD_SIZE, -1, 0, keyOffset);
      return;
    }
    emitValue(u32At(list + i * 4), keyOffset);
  }
}

function emitValue(vkOffset: u32, keyOffset: i32): void {
  const vk = cellData(vkOffset, S_VK, keyOffset);
  if (vk < 0) return;
  const end = vk + cellSize;
  if (!fits(vk, 20, end)) {
    reportError(S_VK, vk - 4, R_TRUNCATED, 24, cellSize + 4, keyOffset);
    return;
  }
  if (u16At(vk) != VK) {
    reportError(S_VK, vk - 4, R_BAD_SIGNATURE, -1, 0, keyOffset);
    return;
  }
  const nameLength = <i32>u16At(vk + 2);
  if (!fits(vk + 20, nameLength, end)) {
    reportError(S_VK, vk - 4, R_TRUNCATED, 24 + nameLength, cellSize + 4, keyOffset);
    return;
  }
  const rawSize = u32At(vk + 4);
  const dataOffset = u32At(vk + 8);
  const inline = (rawSize & 0x80000000) != 0;
  const size = <i32>(rawSize & 0x7fffffff);
  let where = DATA_NONE;
  let pointer = 0;
  let length = 0;
  if (inline) {
    where = DATA_IN_HIVE;
    pointer = vk + 8;
    length = size < 4 ? size : 4;
  } else if (size > 0) {
    const data = cellData(dataOffset, S_VALUE_DATA, keyOffset);
    if (data >= 0) {
      if (size > SEGMENT_SIZE && cellSize >= 8 && u16At(data) == DB) {
        pointer = reassembleBigData(data, size, keyOffset);
        if (pointer != 0) {
          where = DATA_IN_MEMORY;
          length = size;
        }
      } else {
        where = DATA_IN_HIVE;
        pointer = data;
        length = size;
        if (size > cellSize) {
          reportError(S_VALUE_DATA, data - 4, R_TRUNCATED, size, cellSize, keyOffset);
          length = cellSize;
        }
      }
    }
  }
  emittedData += <i64>length;
  beginRecord(RECORD_VALUE, 10);
  field(BASE_BLOCK_SIZE + <i32>vkOffset);
  field(vk + 20); // name
  field(nameLength);
  field(<i32>(u16At(vk + 16) & 1)); // VALUE_COMP_NAME: 8-bit name
  field(<i32>u32At(vk + 12)); // data type
  field(size);
  field(where);
  field(<i32>pointer);
  field(length);
  field(<i32>u16At(vk + 16)); // flags
}

/** Concatenates the db segments into a new buffer; returns its address, or 0 after reporting damage. */
function reassembleBigData(db: i32, size: i32, keyOffset: i32): i32 {
  const segments = <i32>u16At(db + 2);
  // Segments are distinct cells, so big data can never be larger than the file itself.
  if (<i64>segments * <i64>SEGMENT_SIZE < <i64>size || size > inputSize) {
    reportError(S_DB, db - 4, R_BAD_SIZE, -1, 0, keyOffset);
    return 0;
  }
  const list = cellData(u32At(db + 4), S_DB, keyOffset);
  if (list < 0) return 0;
  if (!fits(list, segments * 4, list + cellSize)) {
    reportError(S_DB, list - 4, R_TRUNCATED, segments * 4, cellSize, keyOffset);
    return 0;
  }
  // Check every segment before allocating, so a lying size never reserves memory it cannot fill.
  let available = 0;
  for (let i = 0; i < segments && available < size; i++) {
    const segment = cellData(u32At(list + i * 4), S_DB, keyOffset);
    if (segment < 0) return 0;
    available += cellSize < SEGMENT_SIZE ? cellSize : SEGMENT_SIZE;
  }
  if (available < size) {
    reportError(S_DB, db - 4, R_TRUNCATED, size, available, keyOffset);
    return 0;
  }
  const buffer = new ArrayBuffer(size);
  const target = changetype<usize>(buffer);
  let copied = 0;
  for (let i = 0; copied < size; i++) {
    const segment = cellData(u32At(list + i * 4), S_DB, keyOffset);
    const take = min(size - copied, min(cellSize, SEGMENT_SIZE));
    memory.copy(target + <usize>copied, base + <usize>segment, <usize>take);
    copied += take;
  }
  return <i32>keepAlive(buffer);
}
