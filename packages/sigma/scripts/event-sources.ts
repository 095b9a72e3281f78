/**
 * Where evaluation scripts get records from. EVTX files go through the WASM parser of @corvid/wasm when it
 * can be loaded; JSON files may hold one object, an array, JSON Lines or pretty-printed objects back to back
 * (evtx_dump output); any other text file is read line by line.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";

export type EvtxReader = (bytes: Uint8Array) => AsyncIterable<unknown>;

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
    const reader: EvtxReader = async function* (bytes) {
      for await (const item of wasm.parseEvtx(bytes, { format: "object" })) {
        yield item.ok ? item.record : item;
      }
    };
    return { reader };
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
  const extension = extname(file).toLowerCase();
  if (extension === ".evtx") {
    if (!evtx) return undefined;
    const records: unknown[] = [];
    let failures = 0;
    for await (const item of evtx(await readFile(file))) {
      if (typeof item === "object" && item !== null && (item as { ok?: unknown }).ok === false) failures++;
      else records.push(item);
    }
    return { file, via: "evtx-wasm", records, failures };
  }
  const text = await readFile(file, "utf8");
  if (extension === ".json" || extension === ".jsonl" || extension === ".ndjson") {
    return { file, via: "json", records: parseJsonValues(text), failures: 0 };
  }
  return { file, via: "text", records: text.split(/\r?\n/).filter((line) => line.trim() !== ""), failures: 0 };
}
