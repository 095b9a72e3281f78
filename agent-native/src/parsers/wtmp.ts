import { formatAddress } from "./proc.ts";
import { ParseError, type ParseResult } from "./errors.ts";

/** glibc `struct utmp` on Linux (x86-64, aarch64, …): 384 bytes, little-endian, 32-bit time fields. */
export const UTMP_RECORD_SIZE = 384;

const OFFSETS = {
  type: 0,
  pid: 4,
  line: 8,
  id: 40,
  user: 44,
  host: 76,
  exitTermination: 332,
  exitStatus: 334,
  session: 336,
  seconds: 340,
  microseconds: 344,
  address: 348,
} as const;

const FIELD_SIZES = { line: 32, id: 4, user: 32, host: 256, address: 16 } as const;

/** `ut_type` values from utmp.h. */
export const UTMP_TYPES = [
  "EMPTY",
  "RUN_LVL",
  "BOOT_TIME",
  "NEW_TIME",
  "OLD_TIME",
  "INIT_PROCESS",
  "LOGIN_PROCESS",
  "USER_PROCESS",
  "DEAD_PROCESS",
  "ACCOUNTING",
] as const;

export type UtmpType = (typeof UTMP_TYPES)[number];

export interface UtmpRecord {
  offset: number;
  type: UtmpType;
  typeCode: number;
  pid: number;
  tty: string;
  id: string;
  user: string;
  host: string;
  address: string | null;
  session: number;
  exitStatus: number;
  time: Date;
}

/**
 * Parses wtmp/utmp/btmp bytes record by record. A record with an unknown type becomes an error and the
 * parser moves on; a trailing partial record is reported as truncated.
 */
export function parseWtmp(bytes: Uint8Array): ParseResult<UtmpRecord> {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: ParseResult<UtmpRecord> = { records: [], errors: [] };
  let offset = 0;
  for (; offset + UTMP_RECORD_SIZE <= data.length; offset += UTMP_RECORD_SIZE) {
    try {
      result.records.push(parseUtmpRecord(data.subarray(offset, offset + UTMP_RECORD_SIZE), offset));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.errors.push(error);
    }
  }
  if (offset < data.length) {
    result.errors.push(
      new ParseError("truncated", "utmp record", "file ends inside a record", {
        offset,
        need: UTMP_RECORD_SIZE,
        have: data.length - offset,
      }),
    );
  }
  return result;
}

function parseUtmpRecord(record: Buffer, offset: number): UtmpRecord {
  const typeCode = record.readInt16LE(OFFSETS.type);
  const type = UTMP_TYPES[typeCode];
  if (type === undefined) throw new ParseError("unknown-type", "utmp record", `ut_type ${typeCode}`, { offset });
  const seconds = record.readInt32LE(OFFSETS.seconds);
  const microseconds = record.readInt32LE(OFFSETS.microseconds);
  if (microseconds < 0 || microseconds >= 1_000_000) {
    throw new ParseError("bad-value", "utmp record", `ut_tv.tv_usec ${microseconds} out of range`, { offset: offset + OFFSETS.microseconds });
  }
  return {
    offset,
    type,
    typeCode,
    pid: record.readInt32LE(OFFSETS.pid),
    tty: cString(record, OFFSETS.line, FIELD_SIZES.line),
    id: cString(record, OFFSETS.id, FIELD_SIZES.id),
    user: cString(record, OFFSETS.user, FIELD_SIZES.user),
    host: cString(record, OFFSETS.host, FIELD_SIZES.host),
    address: utmpAddress(record.subarray(OFFSETS.address, OFFSETS.address + FIELD_SIZES.address)),
    session: record.readInt32LE(OFFSETS.session),
    exitStatus: record.readInt16LE(OFFSETS.exitStatus),
    time: new Date(seconds * 1000 + Math.floor(microseconds / 1000)),
  };
}

/** Fixed-size, NUL-padded (not necessarily NUL-terminated) text field. */
function cString(record: Buffer, start: number, size: number): string {
  const field = record.subarray(start, start + size);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? size : end).toString("utf8");
}

/** `ut_addr_v6`: IPv4 sits in the first word with the rest zero; all zero means no address. */
function utmpAddress(field: Buffer): string | null {
  if (field.every((byte) => byte === 0)) return null;
  if (field.subarray(4).every((byte) => byte === 0)) return formatAddress(field.subarray(0, 4));
  return formatAddress(field);
}
