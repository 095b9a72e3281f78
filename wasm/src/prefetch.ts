import type { ByteSource } from "./byte-source.ts";
import { ParseError } from "./errors.ts";
import { instantiateFormat } from "./load.ts";
import { filetimeToIso, readAllBytes } from "./regf-lnk-values.ts";

/** An NTFS file reference: MFT entry number (48 bits) and sequence number (16 bits). */
export interface FileReference {
  mftEntry: number;
  sequence: number;
}

export interface PrefetchFileMetric {
  filename: string;
  /** Versions 23 and later record the file's MFT reference; version 17 does not. */
  fileReference: FileReference | null;
  flags: number;
}

export interface PrefetchVolume {
  devicePath: string;
  serialNumber: number;
  /** ISO 8601 UTC with 100 ns precision, or null when the FILETIME is zero. */
  creationTime: string | null;
  fileReferences: FileReference[];
  directories: string[];
}

export interface PrefetchInfo {
  version: number;
  /** True when the file was a Windows 10/11 MAM (LZXPRESS Huffman) container. */
  compressed: boolean;
  executableName: string;
  hash: number;
  /** The hash as Windows writes it in the file name: 8 upper-case hex digits. */
  hashHex: string;
  /** File size recorded in the SCCA header (the uncompressed size for MAM files). */
  fileSize: number;
  runCount: number;
  /** Non-zero last run times, most recent first (1 slot in versions 17/23, 8 from version 26). */
  lastRunTimes: string[];
  volumes: PrefetchVolume[];
  fileMetrics: PrefetchFileMetric[];
  /** The filename strings section in file order. */
  filenames: string[];
  traceChainCount: number;
}

/** What prefetch.wasm exports (the LZXPRESS test drives the decompression path through it directly). */
export interface PrefetchExports {
  memory: WebAssembly.Memory;
  allocInput(length: number): number;
  parse(length: number): number;
  isCompressed(): number;
  dataPtr(): number;
  dataLength(): number;
  tablePtr(): number;
  tableLength(): number;
  errorStructure(): number;
  errorReason(): number;
  errorOffset(): number;
  errorNeed(): number;
  errorHave(): number;
}

/** Table word meaning "absent" (a version 17 metric has no file reference). */
const NONE = 0xffffffff;
const utf16 = new TextDecoder("utf-16le");
/** Real Prefetch files are kilobytes to a few megabytes; the wasm side caps decompressed data alike. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Parses Prefetch files with one wasm instance, which saves instantiating one per file. Bad input ends
 * in a `ParseError` and leaves the instance usable. Any other exception would be a wasm trap, which the
 * bounds-checked parser should never hit; the instance must then be dropped.
 */
export class PrefetchParser {
  private constructor(private exports: PrefetchExports) {}

  static async create(): Promise<PrefetchParser> {
    return new PrefetchParser(await instantiatePrefetch());
  }

  /** Size of the instance's linear memory: it never shrinks, so this is the peak so far. */
  get wasmMemoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  parse(bytes: Uint8Array): PrefetchInfo {
    if (bytes.length > MAX_INPUT_BYTES) {
      const reason = `${bytes.length} bytes is too large for a Prefetch file (limit ${MAX_INPUT_BYTES})`;
      throw new ParseError({ format: "prefetch", structure: "file", offset: 0, reason });
    }
    const wasm = this.exports;
    const inputPtr = wasm.allocInput(bytes.length);
    new Uint8Array(wasm.memory.buffer, inputPtr, bytes.length).set(bytes);
    const status = wasm.parse(bytes.length);
    // Views are made only now: parsing may have grown (and so detached) the memory.
    const memory = wasm.memory.buffer;
    if (status !== 0) throw errorFrom(wasm, memory);
    const data = new DataView(memory, wasm.dataPtr(), wasm.dataLength());
    const table = new DataView(memory, wasm.tablePtr(), wasm.tableLength() * 4);
    return readResult(data, table, wasm.isCompressed() === 1);
  }
}

async function instantiatePrefetch(): Promise<PrefetchExports> {
  const instance = await instantiateFormat("prefetch");
  return instance.exports as unknown as PrefetchExports;
}

/**
 * Parses one Prefetch file (any supported version, compressed or not). Throws `ParseError` on bad input.
 * Prefetch files are small (kilobytes to a few megabytes), so a stream or reader is read whole first.
 */
export async function parsePrefetch(source: ByteSource): Promise<PrefetchInfo> {
  const [parser, bytes] = await Promise.all([PrefetchParser.create(), readAllBytes(source)]);
  return parser.parse(bytes);
}

function errorFrom(wasm: PrefetchExports, memory: ArrayBuffer): ParseError {
  const need = wasm.errorNeed();
  const compressedNote = wasm.isCompressed() === 1 ? " (offset in the decompressed data)" : "";
  return new ParseError({
    format: "prefetch",
    structure: readAsString(memory, wasm.errorStructure()),
    offset: wasm.errorOffset(),
    reason: readAsString(memory, wasm.errorReason()) + compressedNote,
    ...(need >= 0 ? { need, have: wasm.errorHave() } : {}),
  });
}

/** AssemblyScript strings are UTF-16 with their byte length stored just before the pointer. */
function readAsString(memory: ArrayBuffer, ptr: number): string {
  const byteLength = new DataView(memory).getUint32(ptr - 4, true);
  return utf16.decode(new Uint8Array(memory, ptr, byteLength));
}

/** Reads the result table in the order wasm/assembly/prefetch/scca.ts writes it. */
function readResult(data: DataView, table: DataView, compressed: boolean): PrefetchInfo {
  let cursor = 0;
  const next = (): number => table.getUint32(4 * cursor++, true);
  const text = (offset: number, chars: number): string =>
    utf16.decode(new Uint8Array(data.buffer, data.byteOffset + offset, chars * 2));
  const textAt = (): string => text(next(), next());

  const version = next();
  const fileSize = next();
  const hash = next();
  const runCount = next();
  const executableName = textAt();
  const lastRunTimesOffset = next();
  const lastRunTimesCount = next();
  const metricsCount = next();
  const traceChainCount = next();
  const filenameCount = next();
  const volumeCount = next();

  const lastRunTimes: string[] = [];
  for (let i = 0; i < lastRunTimesCount; i++) {
    const time = filetimeToIso(data.getBigUint64(lastRunTimesOffset + i * 8, true));
    if (time !== null) lastRunTimes.push(time);
  }

  const fileMetrics: PrefetchFileMetric[] = new Array(metricsCount);
  for (let i = 0; i < metricsCount; i++) {
    const filename = textAt();
    const referenceOffset = next();
    const fileReference = referenceOffset === NONE ? null : fileReferenceAt(data, referenceOffset);
    fileMetrics[i] = { filename, fileReference, flags: next() };
  }

  const filenames: string[] = new Array(filenameCount);
  for (let i = 0; i < filenameCount; i++) filenames[i] = textAt();

  const volumes: PrefetchVolume[] = [];
  const directoryCounts: number[] = [];
  for (let i = 0; i < volumeCount; i++) {
    const devicePath = textAt();
    const creationTime = filetimeToIso(data.getBigUint64(next(), true));
    const serialNumber = next();
    const referencesOffset = next();
    const fileReferences: FileReference[] = new Array(next());
    for (let r = 0; r < fileReferences.length; r++) fileReferences[r] = fileReferenceAt(data, referencesOffset + r * 8);
    directoryCounts.push(next());
    volumes.push({ devicePath, serialNumber, creationTime, fileReferences, directories: [] });
  }
  // Directory strings follow all volume entries, grouped by volume.
  volumes.forEach((volume, i) => {
    for (let d = 0; d < (directoryCounts[i] ?? 0); d++) volume.directories.push(textAt());
  });

  return {
    version,
    compressed,
    executableName,
    hash,
    hashHex: hash.toString(16).toUpperCase().padStart(8, "0"),
    fileSize,
    runCount,
    lastRunTimes,
    volumes,
    fileMetrics,
    filenames,
    traceChainCount,
  };
}

function fileReferenceAt(data: DataView, offset: number): FileReference {
  const low = data.getUint32(offset, true);
  const high = data.getUint32(offset + 4, true);
  return { mftEntry: (high & 0xffff) * 0x1_0000_0000 + low, sequence: high >>> 16 };
}
