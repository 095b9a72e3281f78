import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEvtxReader, readRecords, streamRecords } from "../scripts/event-sources.ts";
import { corpora } from "./helpers.ts";

const securityLog = join(corpora, "evtx-parser-samples/omerbenamram-evtx/security.evtx");

describe("EVTX files read chunk by chunk", () => {
  it("hands out each chunk's records together, in file order, and every record once", async () => {
    const { reader, problem } = await loadEvtxReader();
    if (!reader) throw new Error(`the WASM EVTX parser is needed (npm run build:wasm): ${problem}`);
    const wasm = await import("@corvid/wasm");
    const perChunk = new Map<number, number>();
    const recordIds: number[] = [];
    for await (const item of wasm.parseEvtx(await readFile(securityLog), { format: "object" })) {
      perChunk.set(item.chunk, (perChunk.get(item.chunk) ?? 0) + 1);
      if (item.ok) recordIds.push(item.recordId);
    }
    expect(perChunk.size).toBeGreaterThan(1);

    const batches: number[] = [];
    const streamed: unknown[] = [];
    for await (const batch of streamRecords(securityLog, reader)) {
      batches.push(batch.records.length + batch.failures);
      streamed.push(...batch.records);
    }
    expect(batches).toEqual([...perChunk.values()]);
    const idOf = (record: unknown) => (record as { Event: { System: { EventRecordID: number } } }).Event.System.EventRecordID;
    expect(streamed.map(idOf)).toEqual(recordIds);
    expect((await readRecords(securityLog, reader))?.records.map(idOf)).toEqual(recordIds);
  });
});
