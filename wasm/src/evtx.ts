import { ParseError } from "./errors.ts";
import { instantiateFormat } from "./load.ts";
import { type ByteSource, fixedBlocks } from "./byte-source.ts";

/** `json`/`xml`: one string per record; `object`: the parsed JSON (what Sigma and the console consume). */
export type EvtxFormat = "json" | "xml" | "object";

export interface EvtxOptions<F extends EvtxFormat = EvtxFormat> {
  format?: F;
  /** Skip chunks whose header or record-data CRC32 mismatch (reported as errors). Default: parse them, count a warning. */
  strictChecksums?: boolean;
  /** `object` format only: `X_attributes` siblings instead of nested `#attributes` (evtx_dump/chainsaw style). */
  separateAttributes?: boolean;
}

/** One event in the JSON shape of omerbenamram/evtx: `{ Event: { System: {...}, EventData: {...} } }`. */
export type EvtxEvent = { Event?: Record<string, unknown> } & Record<string, unknown>;

export type EvtxRecordValue<F extends EvtxFormat> = F extends "object" ? EvtxEvent : string;

export interface EvtxRecord<R> {
  ok: true;
  recordId: number;
  /** Written time from the record header, ISO-8601 UTC with 100 ns precision. */
  timestamp: string;
  /** Chunk index (0-based) and byte offset of the record in the file. */
  chunk: number;
  offset: number;
  record: R;
}

export interface EvtxFailure {
  ok: false;
  error: ParseError;
  chunk: number;
  /** Present when the record header could be read. */
  recordId?: number;
}

export type EvtxItem<R> = EvtxRecord<R> | EvtxFailure;

export interface EvtxSummary {
  records: number;
  errors: number;
  chunks: number;
  /** Zeroed (never used) 64 KiB chunks, skipped silently. */
  emptyChunks: number;
  /** Checksum mismatches that did not stop parsing (see `strictChecksums`). */
  warnings: ParseError[];
  /** Size of the parser's wasm memory when iteration ended (it never shrinks, so this is the peak). */
  wasmMemoryBytes: number;
  header: { majorVersion: number; minorVersion: number; chunkCount: number; dirty: boolean; full: boolean; nextRecordId: number } | undefined;
}

export interface EvtxStream<R> extends AsyncIterable<EvtxItem<R>> {
  /** Complete once iteration has finished. */
  readonly summary: EvtxSummary;
}

const FILE_HEADER_SIZE = 4096;
const CHUNK_SIZE = 0x10000;
/** Record table entry (i32 each): status, offset, id lo/hi, time lo/hi, output start/end, error offset, timestamp start, need, have. */
const RECORD_FIELDS = 12;
const TIMESTAMP_UNITS = 28;
const FORMAT_CODE = { json: 0, xml: 1, object: 0 } as const;

/** Record error codes of evtx.wasm (assembly/evtx/state.ts) → structure and reason. */
const RECORD_ERRORS: Record<number, [structure: string, reason: string]> = {
  1: ["record header", "bad record signature"],
  2: ["record header", "invalid record size"],
  3: ["record", "record runs past the end of the chunk"],
  4: ["binxml", "token runs past the end of the chunk"],
  5: ["binxml", "unknown token"],
  6: ["binxml name", "name offset outside the chunk"],
  7: ["template", "template definition outside the chunk"],
  8: ["substitution", "substitution index out of range"],
  9: ["binxml", "nesting too deep"],
  10: ["binxml", "too many nodes"],
  11: ["binxml", "unbalanced elements"],
  12: ["binxml value", "invalid value"],
  13: ["substitution array", "substitution values run past the record"],
  14: ["record", "record has no XML element"],
  15: ["binxml", "expansion exceeds the per-chunk limit"],
};

/** Negative results of parseChunk (assembly/evtx/chunk.ts). */
const CHUNK_ERRORS: Record<number, string> = {
  [-2]: "bad chunk signature",
  [-3]: "truncated chunk header",
  [-4]: "chunk header checksum mismatch",
  [-5]: "chunk record data checksum mismatch",
};
const CHUNK_EMPTY = -1;

interface EvtxExports {
  memory: WebAssembly.Memory;
  inputPointer(): number;
  parseFileHeader(length: number): number;
  fileHeaderField(index: number): number;
  parseChunk(length: number, format: number, strict: number): number;
  recordTablePointer(): number;
  outputPointer(): number;
  outputLength(): number;
  chunkHeaderChecksumOk(): number;
  chunkDataChecksumOk(): number;
}

/**
 * Parses an EVTX file chunk by chunk (64 KiB at a time, so memory stays bounded for any file size).
 * Corrupt chunks and records become `{ ok: false, error }` items; iteration always continues.
 */
export function parseEvtx<F extends EvtxFormat = "json">(
  source: ByteSource,
  options: EvtxOptions<F> = {},
): EvtxStream<EvtxRecordValue<F>> {
  const summary: EvtxSummary = { records: 0, errors: 0, chunks: 0, emptyChunks: 0, warnings: [], wasmMemoryBytes: 0, header: undefined };
  const format = options.format ?? "json";
  return {
    summary,
    [Symbol.asyncIterator]: () =>
      iterate(source, format, options, summary) as AsyncIterator<EvtxItem<EvtxRecordValue<F>>>,
  };
}

async function* iterate(
  source: ByteSource,
  format: EvtxFormat,
  options: EvtxOptions,
  summary: EvtxSummary,
): AsyncGenerator<EvtxItem<unknown>> {
  const wasm = idleInstances.pop() ?? ((await instantiateFormat("evtx")).exports as unknown as EvtxExports);
  let trapped = false;
  try {
    yield* iterateWith(wasm, source, format, options, summary);
  } catch (error) {
    trapped = error instanceof WebAssembly.RuntimeError;
    throw error;
  } finally {
    // Every parseChunk call resets the module's state, so an instance that finished (or was abandoned
    // between chunks) can serve the next file; a trapped one, or one whose memory grew large, is dropped.
    if (!trapped && wasm.memory.buffer.byteLength <= MAX_IDLE_MEMORY && idleInstances.length < MAX_IDLE_INSTANCES) {
      idleInstances.push(wasm);
    }
  }
}

/** Parsing many small files would otherwise spend much of its time instantiating modules. */
const idleInstances: EvtxExports[] = [];
const MAX_IDLE_INSTANCES = 2;
const MAX_IDLE_MEMORY = 64 * 1024 * 1024;

async function* iterateWith(
  wasm: EvtxExports,
  source: ByteSource,
  format: EvtxFormat,
  options: EvtxOptions,
  summary: EvtxSummary,
): AsyncGenerator<EvtxItem<unknown>> {
  const strict = options.strictChecksums === true;
  const toObject = options.separateAttributes
    ? (body: string) => separateAttributes(JSON.parse(body) as Record<string, unknown>) as EvtxEvent
    : (body: string) => JSON.parse(body) as EvtxEvent;
  const decoder = new TextDecoder("utf-16le");
  const input = wasm.inputPointer();
  let headerValid = false;
  let chunk = -1;
  const fail = (structure: string, offset: number, reason: string, extra: { need?: number; have?: number } = {}) => {
    summary.errors++;
    return { ok: false as const, chunk, error: new ParseError({ format: "evtx", structure, offset, reason, ...extra }) };
  };

  for await (const block of fixedBlocks(source, FILE_HEADER_SIZE, CHUNK_SIZE)) {
    new Uint8Array(wasm.memory.buffer, input, block.length).set(block);
    if (chunk < 0) {
      chunk = 0;
      const status = wasm.parseFileHeader(block.length);
      if (status === 2) {
        yield fail("file header", 0, "truncated file header", { need: 128, have: block.length });
        return;
      }
      if (status === 1) {
        yield fail("file header", 0, "bad file signature (expected ElfFile)");
        continue;
      }
      headerValid = true;
      const field = (i: number) => wasm.fileHeaderField(i);
      const flags = field(3);
      summary.header = {
        minorVersion: field(0), majorVersion: field(1), chunkCount: field(2),
        dirty: (flags & 1) !== 0, full: (flags & 2) !== 0, nextRecordId: field(4),
      };
      if (field(5) !== 1) summary.warnings.push(new ParseError({ format: "evtx", structure: "file header", offset: 0, reason: "file header checksum mismatch" }));
      continue;
    }
    const chunkOffset = FILE_HEADER_SIZE + chunk * CHUNK_SIZE;
    const result = wasm.parseChunk(block.length, FORMAT_CODE[format], strict ? 1 : 0);
    summary.wasmMemoryBytes = wasm.memory.buffer.byteLength;
    if (result === CHUNK_EMPTY) {
      summary.emptyChunks++;
    } else if (result < 0) {
      const truncated = result === -3;
      yield fail("chunk header", chunkOffset, CHUNK_ERRORS[result] ?? "unknown chunk error", truncated ? { need: 512, have: block.length } : {});
      // Without a valid file header, a chunk without a signature means this is not an EVTX file at all.
      if (!headerValid && result === -2) return;
    } else {
      summary.chunks++;
      if (wasm.chunkHeaderChecksumOk() !== 1) summary.warnings.push(new ParseError({ format: "evtx", structure: "chunk header", offset: chunkOffset, reason: "chunk header checksum mismatch" }));
      if (wasm.chunkDataChecksumOk() !== 1) summary.warnings.push(new ParseError({ format: "evtx", structure: "chunk", offset: chunkOffset, reason: "chunk record data checksum mismatch" }));
      const table = new Int32Array(wasm.memory.buffer, wasm.recordTablePointer(), result * RECORD_FIELDS).slice();
      const text = decoder.decode(new Uint8Array(wasm.memory.buffer, wasm.outputPointer(), wasm.outputLength() * 2));
      for (let i = 0; i < result; i++) {
        const base = i * RECORD_FIELDS;
        const status = table[base]!;
        const offset = chunkOffset + table[base + 1]!;
        const recordId = (table[base + 2]! >>> 0) + (table[base + 3]! >>> 0) * 4294967296;
        if (status !== 0) {
          const [structure, reason] = RECORD_ERRORS[status] ?? ["record", `error ${status}`];
          const need = table[base + 10]!;
          const item = fail(structure, chunkOffset + table[base + 8]!, reason, need > 0 ? { need, have: table[base + 11]! } : {});
          yield recordId > 0 ? { ...item, recordId } : item;
          continue;
        }
        const timestampStart = table[base + 9]!;
        const body = text.substring(table[base + 6]!, table[base + 7]!);
        summary.records++;
        yield {
          ok: true,
          recordId,
          timestamp: text.substring(timestampStart, timestampStart + TIMESTAMP_UNITS),
          chunk,
          offset,
          record: format === "object" ? toObject(body) : body,
        };
      }
    }
    chunk++;
  }
  if (chunk < 0) yield fail("file header", 0, "empty input", { need: 128, have: 0 });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `{ X: { "#attributes": A, "#text": T } }` → `{ X_attributes: A, X: T }`; an element left with only
 * attributes loses its own key, as in omerbenamram/evtx's `separate_json_attributes` output.
 */
export function separateAttributes(object: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (!isPlainObject(value)) {
      result[key] = value;
      continue;
    }
    const { "#attributes": attributes, ...rest } = value;
    if (attributes !== undefined) result[`${key}_attributes`] = attributes;
    const restKeys = Object.keys(rest);
    if (attributes !== undefined && restKeys.length === 1 && restKeys[0] === "#text") result[key] = rest["#text"];
    else if (restKeys.length > 0) result[key] = separateAttributes(rest);
    else if (attributes === undefined) result[key] = {};
  }
  return result;
}
