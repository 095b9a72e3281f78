// File header, chunk header (with its CRC32 checks) and the event record loop of one 64 KiB chunk.
import { crc32Update } from "../shared/crc32";
import { outLength, putFiletime, resetOutput } from "../shared/output";
import { expand, resetBudgets, resetSubstitutions } from "./binxml";
import { renderJson, renderXml } from "./render";
import {
  CHUNK_SIZE, ERR_EMPTY_RECORD, ERR_RECORD_SIGNATURE, ERR_RECORD_SIZE, ERR_RECORD_TRUNCATED, chunkLength, chunkPtr,
  clearError, errorCode, errorHave, errorNeed, errorOffset, fail, setChunkLength, u32At, u64At,
} from "./state";
import { F_FIRST, get, resetTree } from "./tree";

export const FORMAT_JSON = 0;
export const FORMAT_XML = 1;

// Chunk-level outcomes (negative results of parseChunk), mirrored in src/evtx.ts.
export const CHUNK_EMPTY = -1;
export const CHUNK_BAD_SIGNATURE = -2;
export const CHUNK_TRUNCATED = -3;
export const CHUNK_HEADER_CHECKSUM = -4;
export const CHUNK_DATA_CHECKSUM = -5;

const CHUNK_HEADER_SIZE = 512;
const RECORD_HEADER_SIZE = 24;
const RECORD_SIGNATURE: u32 = 0x00002a2a;

// Per-record results, RECORD_FIELDS i32 slots each (layout documented in src/evtx.ts).
export const RECORD_FIELDS = 12;
let records: usize = heap.alloc(512 * RECORD_FIELDS * 4);
let recordCapacity: i32 = 512;
let recordCount: i32 = 0;
export function recordTable(): usize {
  return records;
}

// Chunk header facts for the host (valid after parseChunk).
export let headerChecksumOk: bool = false;
export let dataChecksumOk: bool = false;

function isZero(offset: i32, length: i32): bool {
  for (let i = 0; i < length; i++) if (load<u8>(chunkPtr + <usize>(offset + i)) != 0) return false;
  return true;
}

function pushRecord(status: i32, offset: i32, id: u64, time: u64, outStart: i32, outEnd: i32, errOffset: i32, need: i32 = 0, have: i32 = 0): void {
  if (recordCount >= recordCapacity) {
    recordCapacity <<= 1;
    records = heap.realloc(records, <usize>recordCapacity * RECORD_FIELDS * 4);
  }
  const p = records + <usize>recordCount * RECORD_FIELDS * 4;
  store<i32>(p, status);
  store<i32>(p, offset, 4);
  store<u32>(p, <u32>id, 8);
  store<u32>(p, <u32>(id >> 32), 12);
  store<u32>(p, <u32>time, 16);
  store<u32>(p, <u32>(time >> 32), 20);
  store<i32>(p, outStart, 24);
  store<i32>(p, outEnd, 28);
  store<i32>(p, errOffset, 32);
  // The record's written time as ISO-8601 with 100 ns precision (TIMESTAMP_UNITS code units).
  const timestampStart = outLength;
  putFiletime(time, 7);
  store<i32>(p, timestampStart, 36);
  store<i32>(p, need, 40);
  store<i32>(p, have, 44);
  recordCount++;
}

/**
 * Parses the chunk of `length` bytes in the chunk buffer. Returns the number of entries in the record
 * table (records and record errors) or a negative CHUNK_* code. Checksum mismatches are fatal only when
 * `strictChecksums` is set; otherwise they are reported through the *ChecksumOk flags.
 */
export function parseChunk(length: i32, format: i32, strictChecksums: bool): i32 {
  setChunkLength(length < CHUNK_SIZE ? length : CHUNK_SIZE);
  resetOutput();
  resetBudgets();
  recordCount = 0;
  if (chunkLength < CHUNK_HEADER_SIZE) return isZero(0, chunkLength) ? CHUNK_EMPTY : CHUNK_TRUNCATED;
  if (u64At(0) != 0x006b6e6843666c45) return isZero(0, CHUNK_HEADER_SIZE) ? CHUNK_EMPTY : CHUNK_BAD_SIGNATURE;

  const freeSpace = <i32>u32At(48);
  const headerCrc = crc32Update(crc32Update(0, chunkPtr, 120), chunkPtr + 128, 384);
  headerChecksumOk = headerCrc == u32At(124);
  // Records end at the free-space offset; a damaged value falls back to the bytes we have.
  const limit = freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= chunkLength ? freeSpace : chunkLength;
  dataChecksumOk = freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= chunkLength &&
    crc32Update(0, chunkPtr + CHUNK_HEADER_SIZE, <usize>(freeSpace - CHUNK_HEADER_SIZE)) == u32At(52);
  if (strictChecksums && !headerChecksumOk) return CHUNK_HEADER_CHECKSUM;
  if (strictChecksums && !dataChecksumOk) return CHUNK_DATA_CHECKSUM;

  let offset = CHUNK_HEADER_SIZE;
  while (offset + RECORD_HEADER_SIZE <= limit) {
    clearError();
    if (u32At(offset) != RECORD_SIGNATURE) {
      // Slack after the last record is normal in dirty logs; anything else is a broken record header.
      if (!isZero(offset, 4)) pushRecord(ERR_RECORD_SIGNATURE, offset, 0, 0, 0, 0, offset);
      break;
    }
    const size = <i32>u32At(offset + 4);
    const id = u64At(offset + 8);
    const time = u64At(offset + 16);
    if (size < RECORD_HEADER_SIZE + 4) {
      pushRecord(ERR_RECORD_SIZE, offset, id, time, 0, 0, offset + 4);
      break;
    }
    if (size > chunkLength - offset) {
      pushRecord(ERR_RECORD_TRUNCATED, offset, id, time, 0, 0, offset, size, chunkLength - offset);
      break;
    }
    parseRecord(offset, size, id, time, format);
    offset += size;
  }
  return recordCount;
}

function parseRecord(offset: i32, size: i32, id: u64, time: u64, format: i32): void {
  const outStart = outLength;
  const document = resetTree();
  resetSubstitutions();
  const end = offset + size - 4;
  expand(offset + RECORD_HEADER_SIZE, end, document, 0, 0, 0, false);
  if (errorCode == 0 && get(document, F_FIRST) == 0) fail(ERR_EMPTY_RECORD, offset + RECORD_HEADER_SIZE);
  if (errorCode == 0) {
    if (format == FORMAT_JSON) renderJson(document);
    else if (format == FORMAT_XML) renderXml(document);
    pushRecord(0, offset, id, time, outStart, outLength, 0);
  } else {
    pushRecord(errorCode, offset, id, time, 0, 0, errorOffset, errorNeed, errorHave);
  }
}
