import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type EvtxFormat, type EvtxItem, type EvtxOptions, type EvtxRecordValue, parseEvtx } from "../src/evtx.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const corpora = resolve(repoRoot, "../shared/corpora");
export const samples = resolve(corpora, "evtx-parser-samples");

export async function collect<F extends EvtxFormat>(file: string | Uint8Array, options: EvtxOptions<F> = {}) {
  const stream = parseEvtx(typeof file === "string" ? readFileSync(file) : file, options);
  const items: EvtxItem<EvtxRecordValue<F>>[] = [];
  for await (const item of stream) items.push(item);
  return { items, summary: stream.summary };
}

/** Splits text holding several concatenated JSON documents (as the Sigma regression .json files do). */
export function splitConcatenatedJson(text: string): unknown[] {
  const documents: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth++ === 0) start = i;
    } else if ((c === "}" || c === "]") && --depth === 0) documents.push(JSON.parse(text.slice(start, i + 1)));
  }
  return documents;
}

/** Body of an insta snapshot file (after the second `---` line). */
export function snapshotBody(file: string): string {
  const text = readFileSync(resolve(samples, "omerbenamram-evtx", file), "utf8");
  const parts = text.split(/^---$/m);
  return parts.slice(2).join("---").trim();
}

export function eventRecordId(record: unknown): number | undefined {
  const event = (record as { Event?: { System?: { EventRecordID?: unknown } } }).Event;
  const id = event?.System?.EventRecordID;
  return id === undefined ? undefined : Number(id);
}
