import { UTMP_RECORD_SIZE } from "../src/parsers/wtmp.ts";

/** Writes one glibc `struct utmp` the way login(1)/sshd do, for crafted wtmp fixtures. */
export function buildUtmpRecord(fields: {
  type: number;
  pid?: number;
  line?: string;
  id?: string;
  user?: string;
  host?: string;
  address?: number[];
  session?: number;
  seconds: number;
  microseconds?: number;
}): Buffer {
  const record = Buffer.alloc(UTMP_RECORD_SIZE);
  record.writeInt16LE(fields.type, 0);
  record.writeInt32LE(fields.pid ?? 0, 4);
  record.write(fields.line ?? "", 8, 32, "utf8");
  record.write(fields.id ?? "", 40, 4, "utf8");
  record.write(fields.user ?? "", 44, 32, "utf8");
  record.write(fields.host ?? "", 76, 256, "utf8");
  record.writeInt32LE(fields.session ?? 0, 336);
  record.writeInt32LE(fields.seconds, 340);
  record.writeInt32LE(fields.microseconds ?? 0, 344);
  Buffer.from(fields.address ?? []).copy(record, 348);
  return record;
}
