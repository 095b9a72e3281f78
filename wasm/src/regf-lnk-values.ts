// Value decoders shared by the LNK and REGF wrappers. Web-standard APIs only.
import { type ByteSource, fixedBlocks } from "./byte-source.ts";

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** FILETIME (100 ns ticks since 1601) as ISO 8601 with all 7 fractional digits; null for 0. */
export function filetimeToIso(ticks: bigint): string | null {
  if (ticks === 0n) return null;
  const sinceUnix = ticks - FILETIME_UNIX_EPOCH;
  const wholeSeconds = sinceUnix >= 0n ? sinceUnix / 10_000_000n : -((-sinceUnix + 9_999_999n) / 10_000_000n);
  const fraction = sinceUnix - wholeSeconds * 10_000_000n;
  const date = new Date(Number(wholeSeconds) * 1000);
  if (Number.isNaN(date.getTime())) return null;
  return `${date.toISOString().slice(0, 19)}.${fraction.toString().padStart(7, "0")}Z`;
}

export function filetimeFromWords(low: number, high: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

/** MS-DOS date (low 16 bits) and time (high 16 bits), local time of the writer; null when unset or invalid. */
export function fatDateTimeToIso(packed: number): string | null {
  const date = packed & 0xffff;
  const time = packed >>> 16;
  const day = date & 31;
  const month = (date >>> 5) & 15;
  const year = (date >>> 9) + 1980;
  const seconds = (time & 31) * 2;
  const minutes = (time >>> 5) & 63;
  const hours = time >>> 11;
  if (date === 0 || day === 0 || month === 0 || month > 12 || hours > 23 || minutes > 59 || seconds > 59) return null;
  const two = (n: number) => n.toString().padStart(2, "0");
  return `${year}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}`;
}

/** GUID in its registry text form (lower case, no braces): first three groups little-endian. */
export function guidAt(bytes: Uint8Array, offset: number): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    let text = "";
    for (let i = from; i < to; i++) text += HEX_BYTES[bytes[offset + (reverse ? from + to - 1 - i : i)]!];
    return text;
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/**
 * UTF-16LE without replacement: unpaired surrogates are evidence (e.g. crafted file names), so they are kept
 * as lone code units instead of becoming U+FFFD as TextDecoder would make them.
 */
export function utf16At(bytes: Uint8Array, offset: number, byteLength: number): string {
  const units = byteLength >>> 1;
  const start = bytes.byteOffset + offset;
  // Uint16Array views need an even address; odd-placed strings (possible in LNK files) are copied first.
  const codeUnits =
    start % 2 === 0
      ? new Uint16Array(bytes.buffer, start, units)
      : new Uint16Array(new Uint8Array(bytes.subarray(offset, offset + units * 2)).buffer);
  let text = "";
  for (let at = 0; at < units; at += 4096) {
    text += String.fromCharCode(...codeUnits.subarray(at, Math.min(at + 4096, units)));
  }
  return text;
}

const ansiDecoder = new TextDecoder("windows-1252");

/** 8-bit text in the writer's code page; Windows-1252 is assumed because the code page is not recorded. */
export function ansiAt(bytes: Uint8Array, offset: number, byteLength: number): string {
  return ansiDecoder.decode(bytes.subarray(offset, offset + byteLength));
}

export function hexAt(bytes: Uint8Array, offset: number, byteLength: number): string {
  let hex = "";
  for (let at = offset; at < offset + byteLength; at++) hex += HEX_BYTES[bytes[at]!];
  return hex;
}

/** Both formats address their structures by absolute offset, so the parsers need the whole file at once. */
export async function readAllBytes(source: ByteSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const blocks: Uint8Array[] = [];
  let total = 0;
  for await (const block of fixedBlocks(source, READ_BLOCK, READ_BLOCK)) {
    blocks.push(block);
    total += block.length;
  }
  const whole = new Uint8Array(total);
  let at = 0;
  for (const block of blocks) {
    whole.set(block, at);
    at += block.length;
  }
  return whole;
}

const READ_BLOCK = 4 * 1024 * 1024;

/** ISO-8859-1 (registry "compressed" names): every byte is the code point of the same value. */
export function latin1At(bytes: Uint8Array, offset: number, byteLength: number): string {
  if (byteLength <= 64) {
    // Registry names are short; a loop beats building an argument list for them.
    let text = "";
    for (let at = offset; at < offset + byteLength; at++) text += String.fromCharCode(bytes[at]!);
    return text;
  }
  let text = "";
  for (let start = offset; start < offset + byteLength; start += 4096) {
    text += String.fromCharCode(...bytes.subarray(start, Math.min(start + 4096, offset + byteLength)));
  }
  return text;
}
