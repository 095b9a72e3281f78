import { ParseError, parseDecimal, parseHex, type ParseResult } from "./errors.ts";

/**
 * Clock ticks per second used by /proc/<pid>/stat times. Linux fixes the user-visible USER_HZ at 100 on
 * every architecture Node runs on, so no sysconf(_SC_CLK_TCK) call is needed.
 */
export const USER_HZ = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks after boot when the process started. */
  startTicks: number;
  rssPages: number;
  threads: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name sits in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new ParseError("bad-value", "proc stat", "no (comm) field");
  const pid = parseDecimal(text.slice(0, open).trim(), "proc stat pid");
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // Fields 3.. of proc(5); starttime is field 22, i.e. index 19 here.
  if (rest.length < 22) {
    throw new ParseError("truncated", "proc stat", `expected at least 24 fields, got ${rest.length + 2}`, {
      need: 24,
      have: rest.length + 2,
    });
  }
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: parseDecimal(rest[1]!, "proc stat ppid"),
    threads: parseDecimal(rest[17]!, "proc stat num_threads"),
    startTicks: parseDecimal(rest[19]!, "proc stat starttime"),
    rssPages: parseDecimal(rest[21]!, "proc stat rss"),
  };
}

/** Reads the boot time (`btime`, Unix seconds) from /proc/stat. */
export function parseBootTime(procStatText: string): number {
  const match = /^btime\s+(\d+)$/m.exec(procStatText);
  if (!match) throw new ParseError("bad-value", "/proc/stat", "no btime line");
  return Number(match[1]);
}

export function processStartTime(bootTimeSec: number, startTicks: number): Date {
  return new Date(bootTimeSec * 1000 + (startTicks * 1000) / USER_HZ);
}

/** Real UID from a /proc/<pid>/status `Uid:` line (real, effective, saved, fs). */
export function parseStatusUid(statusText: string): number | null {
  const match = /^Uid:\s+(\d+)/m.exec(statusText);
  return match ? Number(match[1]) : null;
}

/** `/proc/<pid>/cmdline` is NUL-separated; a trailing NUL is usual, kernel threads have none. */
export function parseCmdline(bytes: Buffer): string[] {
  const text = bytes.toString("utf8");
  const parts = text.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

export type SocketProtocol = "tcp" | "tcp6" | "udp" | "udp6";

export interface ProcNetSocket {
  protocol: SocketProtocol;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  uid: number;
  inode: number;
}

/** Names of the kernel's TCP states (include/net/tcp_states.h), keyed by the hex code in /proc/net/tcp. */
const TCP_STATES: Record<number, string> = {
  0x01: "ESTABLISHED",
  0x02: "SYN_SENT",
  0x03: "SYN_RECV",
  0x04: "FIN_WAIT1",
  0x05: "FIN_WAIT2",
  0x06: "TIME_WAIT",
  0x07: "CLOSE",
  0x08: "CLOSE_WAIT",
  0x09: "LAST_ACK",
  0x0a: "LISTEN",
  0x0b: "CLOSING",
  0x0c: "NEW_SYN_RECV",
};

/** Parses a whole /proc/net/{tcp,tcp6,udp,udp6} file; the header line is skipped. */
export function parseProcNet(text: string, protocol: SocketProtocol, littleEndian: boolean): ParseResult<ProcNetSocket> {
  const result: ParseResult<ProcNetSocket> = { records: [], errors: [] };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (index === 0 || raw.trim() === "") return;
    try {
      result.records.push(parseProcNetLine(raw, protocol, littleEndian, line));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.errors.push(error);
    }
  });
  return result;
}

export function parseProcNetLine(
  raw: string,
  protocol: SocketProtocol,
  littleEndian: boolean,
  line?: number,
): ProcNetSocket {
  const fields = raw.trim().split(/\s+/);
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
  if (fields.length < 10) {
    throw new ParseError("bad-field-count", `/proc/net/${protocol} line`, `expected at least 10 fields, got ${fields.length}`, {
      ...(line === undefined ? {} : { line }),
      need: 10,
      have: fields.length,
    });
  }
  const local = parseEndpoint(fields[1]!, protocol, littleEndian, line);
  const remote = parseEndpoint(fields[2]!, protocol, littleEndian, line);
  const stateCode = parseHex(fields[3]!, "socket state", line);
  const isTcp = protocol.startsWith("tcp");
  return {
    protocol,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    // UDP reuses the TCP numbering: 07 (CLOSE) is an unconnected socket, 01 a connected one.
    state: isTcp ? (TCP_STATES[stateCode] ?? `UNKNOWN_${stateCode}`) : stateCode === 0x01 ? "ESTABLISHED" : stateCode === 0x07 ? "UNCONNECTED" : `UNKNOWN_${stateCode}`,
    uid: parseDecimal(fields[7]!, "socket uid", line),
    inode: parseDecimal(fields[9]!, "socket inode", line),
  };
}

function parseEndpoint(text: string, protocol: SocketProtocol, littleEndian: boolean, line?: number): { address: string; port: number } {
  const [addressHex, portHex, extra] = text.split(":");
  const expectedLength = protocol.endsWith("6") ? 32 : 8;
  if (addressHex === undefined || portHex === undefined || extra !== undefined || addressHex.length !== expectedLength) {
    throw new ParseError("bad-value", "socket endpoint", `malformed ${JSON.stringify(text)}`, line === undefined ? {} : { line });
  }
  const bytes = Buffer.from(addressHex, "hex");
  if (bytes.length * 2 !== addressHex.length) {
    throw new ParseError("bad-encoding", "socket endpoint", `not hexadecimal: ${JSON.stringify(addressHex)}`, line === undefined ? {} : { line });
  }
  // The kernel prints each 32-bit word of the address with %08X in host byte order.
  if (littleEndian) for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  return { address: formatAddress(bytes), port: parseHex(portHex, "socket port", line) };
}

/** Formats 4 or 16 network-order bytes; IPv4-mapped IPv6 addresses are shown in their IPv4 form. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  const isV4Mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return `::ffff:${Array.from(bytes.subarray(12)).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return compressIpv6(groups);
}

/** RFC 5952 text form: the longest run (≥ 2) of zero groups becomes `::`. */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
