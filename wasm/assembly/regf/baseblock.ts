// Base block (the 4096-byte "regf" header) and the chain of hive bins ("hbin", 4096-byte multiples).
import { fits, inputSize, u32At } from "../lnk/input";
import { BASE_BLOCK_SIZE, binsEnd, setBinsEnd } from "./cells";
import {
  beginRecord, field, R_BAD_SIGNATURE, R_BAD_SIZE, R_CHECKSUM_MISMATCH, R_TRUNCATED, RECORD_HEADER, reportError,
  S_BASE_BLOCK, S_HIVE_BIN,
} from "./records";

const REGF: u32 = 0x66676572;
const HBIN: u32 = 0x6e696268;

export let rootCellOffset: u32 = 0;
export let minorVersion: u32 = 0;

/** Emits the header record; returns false (after an error record) when the file is not a usable hive. */
export function parseBaseBlock(): bool {
  if (!fits(0, 512, inputSize)) {
    reportError(S_BASE_BLOCK, 0, R_TRUNCATED, 512, inputSize, -1);
    return false;
  }
  if (u32At(0) != REGF) {
    reportError(S_BASE_BLOCK, 0, R_BAD_SIGNATURE, -1, 0, -1);
    return false;
  }
  let checksum: u32 = 0;
  for (let at = 0; at < 508; at += 4) checksum ^= u32At(at);
  if (checksum == 0xffffffff) checksum = 0xfffffffe;
  else if (checksum == 0) checksum = 1;
  const storedChecksum = u32At(508);
  // A wrong checksum means the header was being written (a dirty hive); the hive is still read.
  if (checksum != storedChecksum) reportError(S_BASE_BLOCK, 508, R_CHECKSUM_MISMATCH, -1, 0, -1);
  rootCellOffset = u32At(36);
  minorVersion = u32At(24);
  setBinsEnd(u32At(40));
  const hbinCount = scanHiveBins();
  beginRecord(RECORD_HEADER, 15);
  field(u32At(4)); // primary sequence number
  field(u32At(8)); // secondary sequence number
  field(u32At(12)); // last written FILETIME
  field(u32At(16));
  field(u32At(20)); // major version
  field(minorVersion);
  field(u32At(28)); // file type
  field(u32At(32)); // file format
  field(rootCellOffset);
  field(u32At(40)); // hive bins data size
  field(u32At(44)); // clustering factor
  field(48); // file name: UTF-16, 64 bytes at offset 48
  field(storedChecksum);
  field(checksum);
  field(hbinCount);
  if (!fits(0, BASE_BLOCK_SIZE + 32, inputSize)) {
    reportError(S_HIVE_BIN, BASE_BLOCK_SIZE, R_TRUNCATED, 32, inputSize - BASE_BLOCK_SIZE, -1);
    return false;
  }
  return true;
}

/** Counts hive bins whose headers are sound, reporting the first damaged one. */
function scanHiveBins(): i32 {
  let at = BASE_BLOCK_SIZE;
  let count = 0;
  while (at < binsEnd) {
    if (!fits(at, 32, binsEnd)) {
      reportError(S_HIVE_BIN, at, R_TRUNCATED, 32, binsEnd - at, -1);
      break;
    }
    if (u32At(at) != HBIN) {
      reportError(S_HIVE_BIN, at, R_BAD_SIGNATURE, -1, 0, -1);
      break;
    }
    const size = <i32>u32At(at + 8);
    if (size < 4096 || (size & 4095) != 0 || u32At(at + 4) != <u32>(at - BASE_BLOCK_SIZE)) {
      reportError(S_HIVE_BIN, at, R_BAD_SIZE, -1, 0, -1);
      break;
    }
    count++;
    at += size;
  }
  return count;
}
