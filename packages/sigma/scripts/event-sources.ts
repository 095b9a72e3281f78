/**
 * Where evaluation scripts get records from, and the WebAssembly they evaluate them with. EVTX files go through the
 * WASM parser of @corvid/wasm when it can be loaded (as does the engine's gram scanner, `loadGramScanner`); JSON files
 * may hold one object, an array, JSON Lines or pretty-printed objects back to back (evtx_dump output); any other text
 * file is read line by line.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";

/**
 * Reads an EVTX file one chunk at a time: the records of each 64 KiB chunk (an unreadable record as its failure item).
 * The parser decodes a whole chunk at once; consumers evaluate its records together, so that parsing and evaluation
 * do not take turns record by record, each pushing the other's working set out of the caches.
 */
export type EvtxReader = (source: Uint8Array | AsyncIterable<Uint8Array>) => AsyncIterable<unknown[]>;

export interface RecordBatch {
  file: string;
  via: "evtx-wasm" | "json" | "text";
  records: unknown[];
  /** Records the parser could not read. */
  failures: number;
}

/** Loads the WASM EVTX parser, or explains why it is unavailable. */
export async function loadEvtxReader(): Promise<{ reader?: EvtxReader; problem?: string }> {
  try {
    const wasm = await import("@corvid/wasm");
    const reader: EvtxReader = async function* (source) {
      let records: unknown[] = [];
      let chunk = -1;
      for await (const item of wasm.parseEvtx(source, { format: "object" })) {
        if (item.chunk !== chunk && records.length > 0) {
          yield records;
          records = [];
        }
        chunk = item.chunk;
        records.push(item.ok ? item.record : item);
      }
      if (records.length > 0) yield records;
    };
    return { reader };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/**
 * The compiled gram index of @corvid/wasm for `SigmaEngine`, or undefined (with why) when the WASM build is missing:
 * the engine is then slower on long command lines, not different.
 */
export async function loadGramScanner(): Promise<{ gramScanner?: WebAssembly.Module; problem?: string }> {
  try {
    const wasm = await import("@corvid/wasm");
    return { gramScanner: await wasm.compileGramScanner() };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** Splits text holding one or more JSON values (array, JSON Lines, or objects back to back). */
export function parseJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
}

export async function readRecords(file: string, evtx: EvtxReader | undefined): Promise<RecordBatch | undefined> {
  let batch: RecordBatch | undefined;
  for await (const part of streamRecords(file, evtx)) {
    if (batch === undefined) batch = part;
    else {
      batch.records.push(...part.records);
      batch.failures += part.failures;
    }
  }
  return batch;
}

/** The records of a file in batches, one per EVTX chunk (other files in one batch); nothing for an .evtx without a parser. */
export async function* streamRecords(file: string, evtx: EvtxReader | undefined): AsyncIterable<RecordBatch> {
  const extension = extname(file).toLowerCase();
  if (extension === ".evtx") {
    if (!evtx) return;
    let empty = true;
    // The file is read as a stream too: neither its bytes nor its records are held whole.
    for await (const chunk of evtx(createReadStream(file))) {
      const records = chunk.filter((item) => !isFailure(item));
      empty = false;
      yield { file, via: "evtx-wasm", records, failures: chunk.length - records.length };
    }
    if (empty) yield { file, via: "evtx-wasm", records: [], failures: 0 };
    return;
  }
  const text = await readFile(file, "utf8");
  if (extension === ".json" || extension === ".jsonl" || extension === ".ndjson") {
    yield { file, via: "json", records: parseJsonValues(text), failures: 0 };
    return;
  }
  yield { file, via: "text", records: text.split(/\r?\n/).filter((line) => line.trim() !== ""), failures: 0 };
}

function isFailure(item: unknown): boolean {
  return typeof item === "object" && item !== null && (item as { ok?: unknown }).ok === false;
}
