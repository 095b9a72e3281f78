// Raw ABI of evtx.wasm (driven by src/evtx.ts):
//   host copies the 4 KiB file header or one 64 KiB chunk to inputPointer(),
//   calls parseFileHeader(length) / parseChunk(length, format, strict),
//   then reads the record table (recordTablePointer(), RECORD_FIELDS i32 per entry) and the UTF-16
//   output text (outputPointer(), outputLength() code units) that the table's ranges point into.
import { outLength, outPtr } from "../shared/output";
import { crc32Update } from "../shared/crc32";
import {
  dataChecksumOk, headerChecksumOk, parseChunk as parseChunkImpl, recordTable,
} from "./chunk";
import { chunkPtr, u16At, u32At, u64At, setChunkLength } from "./state";

export function inputPointer(): usize {
  return chunkPtr;
}

export function parseChunk(length: i32, format: i32, strictChecksums: i32): i32 {
  return parseChunkImpl(length, format, strictChecksums != 0);
}

export function recordTablePointer(): usize {
  return recordTable();
}

export function outputPointer(): usize {
  return outPtr;
}

export function outputLength(): i32 {
  return outLength;
}

export function chunkHeaderChecksumOk(): i32 {
  return headerChecksumOk ? 1 : 0;
}

export function chunkDataChecksumOk(): i32 {
  return dataChecksumOk ? 1 : 0;
}

// File header: "ElfFile\0", first/last chunk u64, next record id u64, header size u32, minor u16, major u16,
// header block size u16, chunk count u16, …, flags u32 at 120, CRC32 of the first 120 bytes at 124.
export const FILE_HEADER_OK = 0;
export const FILE_HEADER_BAD_SIGNATURE = 1;
export const FILE_HEADER_TRUNCATED = 2;

let fileFields: StaticArray<f64> = new StaticArray<f64>(6);

export function parseFileHeader(length: i32): i32 {
  if (length < 128) return FILE_HEADER_TRUNCATED;
  setChunkLength(length);
  if (u64At(0) != 0x00656c6946666c45) return FILE_HEADER_BAD_SIGNATURE;
  fileFields[0] = <f64>u16At(36); // minor version
  fileFields[1] = <f64>u16At(38); // major version
  fileFields[2] = <f64>u16At(42); // chunk count
  fileFields[3] = <f64>u32At(120); // flags: 1 dirty, 2 full
  fileFields[4] = <f64>u64At(24); // next record id
  fileFields[5] = crc32Update(0, chunkPtr, 120) == u32At(124) ? 1 : 0;
  return FILE_HEADER_OK;
}

/** minor, major, chunk count, flags, next record id, checksum ok (index 0..5). */
export function fileHeaderField(index: i32): f64 {
  return index >= 0 && index < 6 ? fileFields[index] : 0;
}
