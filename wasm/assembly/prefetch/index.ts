// Raw ABI of prefetch.wasm, used by wasm/src/prefetch.ts:
//   ptr = allocInput(length); copy the file there; status = parse(length) (0 = parsed, 1 = failed);
//   on success the SCCA bytes are at dataPtr()/dataLength() and the result table at tablePtr()/tableLength();
//   on failure the error* getters describe it (structure and reason are AssemblyScript strings), and
//   isCompressed() tells whether the error offset points into decompressed data.
import { failedHave, failedNeed, failedOffset, failedReason, failedStructure, fail, resetFailure } from "./failure";
import { decompressXpressHuffman } from "./lzxpress-huffman";
import { ByteRange } from "./reader";
import { parseScca, table } from "./scca";

const MAM_SIGNATURE: u32 = 0x004d414d; // "MAM" followed by the compression byte
const MAM_HEADER_SIZE: i32 = 8;
const MAM_CHECKSUM_FLAG: u32 = 0x80;
const XPRESS_HUFFMAN: u32 = 4;
/** Real Prefetch files stay far below this; it stops a forged size from claiming gigabytes. */
const MAX_UNCOMPRESSED_SIZE: u32 = 64 << 20;

let inputBuffer = new ArrayBuffer(0);
let decompressed = new ArrayBuffer(0);
let data = new ByteRange(0, 0);
/** Set once decompression succeeded: from then on failure offsets point into the decompressed data. */
let parsingDecompressed = false;

export function allocInput(length: i32): usize {
  inputBuffer = new ArrayBuffer(length);
  return changetype<usize>(inputBuffer);
}

export function parse(length: i32): i32 {
  resetFailure();
  const base = changetype<usize>(inputBuffer);
  const file = new ByteRange(base, min<i32>(length, inputBuffer.byteLength));
  data = file;
  parsingDecompressed = false;
  if (file.length >= 4 && (load<u32>(base) & 0x00ffffff) == MAM_SIGNATURE) {
    if (!decompressMam(file)) return 1;
    parsingDecompressed = true;
  }
  return parseScca(data) ? 0 : 1;
}

function decompressMam(file: ByteRange): bool {
  if (!file.has("MAM header", 0, MAM_HEADER_SIZE)) return false;
  const method = file.u32(0) >>> 24;
  if ((method & 0x0f) != XPRESS_HUFFMAN) return fail("MAM header", 3, `unsupported compression method ${method & 0x0f}`);
  const streamStart: i32 = (method & MAM_CHECKSUM_FLAG) != 0 ? MAM_HEADER_SIZE + 4 : MAM_HEADER_SIZE;
  if (!file.has("MAM header", 0, streamStart)) return false;
  const uncompressedSize = file.u32(4);
  if (uncompressedSize > MAX_UNCOMPRESSED_SIZE) {
    return fail("MAM header", 4, `uncompressed size ${uncompressedSize} exceeds the ${MAX_UNCOMPRESSED_SIZE}-byte limit`);
  }
  decompressed = new ArrayBuffer(<i32>uncompressedSize);
  const target = changetype<usize>(decompressed);
  const ok = decompressXpressHuffman(
    file.base + <usize>streamStart,
    <i32>file.length - streamStart,
    target,
    <i32>uncompressedSize,
    streamStart,
  );
  data = new ByteRange(target, <i64>uncompressedSize);
  return ok;
}

export function isCompressed(): i32 {
  return parsingDecompressed ? 1 : 0;
}

export function dataPtr(): usize {
  return data.base;
}

export function dataLength(): i32 {
  return <i32>data.length;
}

export function tablePtr(): usize {
  return table.dataStart;
}

export function tableLength(): i32 {
  return table.length;
}

export function errorStructure(): string {
  return failedStructure;
}

export function errorReason(): string {
  return failedReason;
}

export function errorOffset(): f64 {
  return <f64>failedOffset;
}

export function errorNeed(): f64 {
  return <f64>failedNeed;
}

export function errorHave(): f64 {
  return <f64>failedHave;
}
