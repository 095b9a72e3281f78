import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../src/errors.ts";
import { parseEvtx } from "../src/evtx.ts";
import { collect, corpora, eventRecordId, samples, snapshotBody, splitConcatenatedJson } from "./evtx-corpus.ts";

const omer = resolve(samples, "omerbenamram-evtx");

interface ExpectedFile {
  sample: string;
  record_counts?: { ok: number; err: number };
  iterated_records_including_errors?: number;
  error_message_for_bad_records?: string;
  snapshots?: { file: string; record_selector: string }[];
}
const expectedFiles: ExpectedFile[] = readdirSync(join(omer, "expected")).map(
  (name) => JSON.parse(readFileSync(join(omer, "expected", name), "utf8")) as ExpectedFile,
);

describe("evtx: omerbenamram/evtx record counts", () => {
  for (const expected of expectedFiles.filter((e) => e.record_counts)) {
    it(`${expected.sample}: ${expected.record_counts!.ok} ok / ${expected.record_counts!.err} err in json, xml and object`, async () => {
      for (const format of ["json", "xml", "object"] as const) {
        const { items, summary } = await collect(join(omer, expected.sample), { format });
        expect(items.filter((i) => i.ok).length).toBe(expected.record_counts!.ok);
        expect(items.filter((i) => !i.ok).length).toBe(expected.record_counts!.err);
        expect(summary.records).toBe(expected.record_counts!.ok);
      }
    });
  }

  it("sample-with-zero-data-size-event.evtx: 336 items, the bad record is a typed ParseError about its size", async () => {
    const expected = expectedFiles.find((e) => e.sample === "sample-with-zero-data-size-event.evtx")!;
    const { items } = await collect(join(omer, expected.sample));
    expect(items.length).toBe(expected.iterated_records_including_errors);
    const failures = items.filter((i) => !i.ok);
    expect(failures.length).toBe(1);
    const error = failures[0]!.ok ? undefined : failures[0]!.error;
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toMatchObject({ format: "evtx", structure: "record header", reason: "invalid record size" });
    expect(expected.error_message_for_bad_records).toMatch(/data size.*found `0`/);
  });
});

/** The record a snapshot selector names: "first record" or "EventRecordID N" / "record with EventRecordID N". */
function pickRecord<T>(records: T[], selector: string): T {
  const id = /EventRecordID (\d+)/.exec(selector);
  if (!id) return records[0]!;
  const found = records.find((r) => {
    const value = typeof r === "string" ? /<EventRecordID>(\d+)</.exec(r)?.[1] : eventRecordId(r);
    return Number(value) === Number(id[1]);
  });
  if (!found) throw new Error(`no record for ${selector}`);
  return found;
}

describe("evtx: omerbenamram/evtx record snapshots", () => {
  for (const expected of expectedFiles) {
    for (const snapshot of expected.snapshots ?? []) {
      it(`${expected.sample}: ${snapshot.file} (${snapshot.record_selector})`, async () => {
        const body = snapshotBody(join("snapshots", snapshot.file.replace(/^snapshots\//, "")));
        if (body.startsWith("<?xml")) {
          const { items } = await collect(join(omer, expected.sample), { format: "xml" });
          const records = items.flatMap((i) => (i.ok ? [i.record] : []));
          expect(pickRecord(records, snapshot.record_selector).trim()).toBe(body);
        } else {
          const separateAttributes = /separate_json_attributes/.test(snapshot.record_selector) || /"Event_attributes"/.test(body);
          const { items } = await collect(join(omer, expected.sample), { format: "object", separateAttributes });
          const records = items.flatMap((i) => (i.ok ? [i.record] : []));
          expect(pickRecord(records, snapshot.record_selector)).toStrictEqual(JSON.parse(body));
        }
      });
    }
  }
});

describe("evtx: plaso truncated file", () => {
  it("System2.evtx: 194 records in the complete chunks, record 179 as plaso expects, the cut record is an error", async () => {
    const expected = JSON.parse(readFileSync(join(samples, "plaso/expected/System2.evtx.plaso-expected.json"), "utf8")) as {
      tests: { counts: { event_data: number }; checks: { index: number; expected: Record<string, string | number> }[] }[];
    };
    const test = expected.tests[0]!;
    const { items } = await collect(join(samples, "plaso/System2.evtx"), { format: "object" });
    // libevtx (plaso) reads whole 64 KiB chunks only; Corvid also recovers the records of the cut last chunk.
    const complete = items.filter((i) => i.ok && i.chunk < 2);
    expect(complete.length).toBe(test.counts.event_data);
    for (const check of test.checks) {
      const item = complete[check.index]!;
      if (!item.ok) throw new Error("expected a record");
      const system = (item.record.Event as { System: Record<string, unknown> }).System;
      expect(item.recordId).toBe(check.expected.record_number);
      expect(system.EventID).toBe(check.expected.event_identifier);
      expect(item.timestamp).toBe(String(check.expected.written_time).replace("+00:00", "Z"));
    }
    const failures = items.filter((i) => !i.ok);
    expect(failures.map((f) => !f.ok && f.error.reason)).toEqual(["record runs past the end of the chunk"]);
  });
});

describe("evtx: chainsaw security_sample.evtx", () => {
  it("every 4624 event chainsaw prints (separate attributes JSON) is rendered identically", async () => {
    const expectedEvents = JSON.parse(readFileSync(join(samples, "chainsaw/evtx/clo_search_qj_simple_string.txt"), "utf8")) as unknown[];
    const { items } = await collect(join(samples, "chainsaw/evtx/security_sample.evtx"), { format: "object", separateAttributes: true });
    const byId = new Map(items.flatMap((i) => (i.ok ? [[eventRecordId(i.record), i.record] as const] : [])));
    expect(expectedEvents.length).toBeGreaterThan(0);
    for (const event of expectedEvents) expect(byId.get(eventRecordId(event))).toStrictEqual(event);
  });
});

/** The Sigma regression .json files come from other EVTX dumpers: strings there are right-trimmed, times cut to µs. */
function normalizeDump(value: unknown): unknown {
  if (typeof value === "string") return value.trimEnd().replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\d*Z$/, "$1Z");
  if (Array.isArray(value)) return value.map(normalizeDump);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeDump(v)]));
  return value;
}

/**
 * Events whose .json was edited by hand upstream; evtxexport reads the .evtx exactly as Corvid does.
 * Each entry restores the value stored in the .evtx.
 */
const HAND_EDITED_DUMPS: Record<string, (event: { Event: { EventData: Record<string, unknown> } }) => void> = {
  // evtxexport: "String: 22 : C:\Windows\Explorer.EXE"; the .json says Explorer.exe.
  "ad691d92-15f2-4181-9aa4-723c74f9ddc3.json": (event) => {
    event.Event.EventData.ParentCommandLine = "C:\\Windows\\Explorer.EXE";
  },
};

describe("evtx: Sigma regression events", () => {
  const files = execFileSync("find", [join(corpora, "sigma-regression"), "-name", "*.evtx"]).toString().trim().split("\n");
  it(`all ${files.length} files: every event of the .json equals Corvid's JSON of the .evtx`, async () => {
    let compared = 0;
    for (const file of files) {
      const jsonFile = file.replace(/\.evtx$/, ".json");
      const expectedEvents = splitConcatenatedJson(readFileSync(jsonFile, "utf8"));
      const restore = HAND_EDITED_DUMPS[jsonFile.slice(jsonFile.lastIndexOf("/") + 1)];
      if (restore) for (const event of expectedEvents) restore(event as Parameters<typeof restore>[0]);
      const { items, summary } = await collect(file, { format: "object" });
      expect(summary.errors, file).toBe(0);
      const byId = new Map(items.flatMap((i) => (i.ok ? [[eventRecordId(i.record), i.record] as const] : [])));
      for (const event of expectedEvents) {
        expect(normalizeDump(byId.get(eventRecordId(event))), file).toStrictEqual(normalizeDump(event));
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(files.length);
  });
});

describe("evtx: damaged chunks in a real log (security.evtx, 26 chunks)", () => {
  const original = new Uint8Array(readFileSync(join(omer, "security.evtx")));
  const chunkStart = (index: number) => 4096 + index * 0x10000;
  const whole = collect(original, { format: "object" });
  const recordsOfChunk = async (index: number) => (await whole).items.filter((i) => i.ok && i.chunk === index).length;

  it("a chunk with a bad signature is one error; every other chunk is still read", async () => {
    const bytes = original.slice();
    bytes.set([0x58, 0x58], chunkStart(3));
    const { items, summary } = await collect(bytes);
    const failures = items.filter((i) => !i.ok);
    expect(failures.map((f) => !f.ok && [f.error.structure, f.error.offset, f.error.reason])).toEqual([
      ["chunk header", chunkStart(3), "bad chunk signature"],
    ]);
    expect(summary.records).toBe((await whole).summary.records - (await recordsOfChunk(3)));
  });

  it("a damaged record fails alone; the chunk's checksum mismatch is a warning, or an error with strictChecksums", async () => {
    const bytes = original.slice();
    const firstRecord = chunkStart(5) + 512;
    bytes[firstRecord + 24] = 0x7f; // the record's first BinXML token becomes an unknown token
    const lenient = await collect(bytes);
    const failures = lenient.items.filter((i) => !i.ok);
    expect(failures.map((f) => !f.ok && [f.error.structure, f.error.offset, f.error.reason])).toEqual([
      ["binxml", firstRecord + 24, "unknown token"],
    ]);
    expect(lenient.summary.records).toBe((await whole).summary.records - 1);
    expect(lenient.summary.warnings.map((w) => [w.offset, w.reason])).toEqual([[chunkStart(5), "chunk record data checksum mismatch"]]);

    const strict = await collect(bytes, { strictChecksums: true });
    expect(strict.items.filter((i) => !i.ok).map((f) => !f.ok && f.error.reason)).toEqual(["chunk record data checksum mismatch"]);
    expect(strict.summary.records).toBe((await whole).summary.records - (await recordsOfChunk(5)));
  });

  it("a zeroed chunk is skipped silently and counted; a file cut inside a chunk keeps that chunk's complete records", async () => {
    const zeroed = original.slice();
    zeroed.fill(0, chunkStart(2), chunkStart(3));
    const skipped = await collect(zeroed);
    expect(skipped.items.filter((i) => !i.ok)).toEqual([]);
    expect(skipped.summary.emptyChunks).toBe((await whole).summary.emptyChunks + 1);
    expect(skipped.summary.records).toBe((await whole).summary.records - (await recordsOfChunk(2)));

    const cut = await collect(original.subarray(0, chunkStart(1) + 0x8000));
    const inCutChunk = cut.items.filter((i) => i.ok && i.chunk === 1).length;
    expect(inCutChunk).toBeGreaterThan(0);
    expect(inCutChunk).toBeLessThan(await recordsOfChunk(1));
    const cutFailures = cut.items.flatMap((i) => (i.ok ? [] : [i.error]));
    expect(cutFailures.map((e) => e.reason)).toEqual(["record runs past the end of the chunk"]);
    expect(cutFailures[0]!.have).toBe(chunkStart(1) + 0x8000 - cutFailures[0]!.offset);
    expect(cutFailures[0]!.need).toBeGreaterThan(cutFailures[0]!.have!);
  });
});

/** A one-record EVTX whose record holds the BinXML that `writeBinXml` writes at chunk offset 512 + 24. */
function buildEvtx(writeBinXml: (view: DataView, start: number) => number): Uint8Array {
  const bytes = new Uint8Array(4096 + 0x10000);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("ElfFile\0"), 0);
  bytes.set(new TextEncoder().encode("ElfChnk\0"), 4096);
  const chunk = new DataView(bytes.buffer, 4096);
  const end = writeBinXml(chunk, 512 + 24);
  const size = end + 4 - 512;
  chunk.setUint32(512, 0x2a2a, true);
  chunk.setUint32(516, size, true);
  chunk.setUint32(520, 1, true); // record id
  chunk.setUint32(end, size, true);
  chunk.setUint32(48, 512 + size, true); // free space offset
  view.setUint16(42, 1, true);
  return bytes;
}

/** Raw BinXML (no template): `depth` nested <A> elements around the text "x". */
function nestedElements(depth: number) {
  return (chunk: DataView, start: number) => {
    let p = start;
    const u8 = (v: number) => chunk.setUint8(p++, v);
    const u16 = (v: number) => ((chunk.setUint16(p, v, true), (p += 2)));
    const u32 = (v: number) => ((chunk.setUint32(p, v, true), (p += 4)));
    [0x0f, 1, 1, 0].forEach(u8);
    let name = 0;
    for (let i = 0; i < depth; i++) {
      u8(0x01);
      u32(0); // data size (not needed to parse)
      if (name === 0) {
        name = p + 4;
        u32(name);
        u32(0), u16(0), u16(1), u16(0x41), u16(0); // inline name "A"
      } else u32(name);
      u8(0x02);
    }
    u8(0x05), u8(0x01), u16(1), u16(0x78); // text "x"
    for (let i = 0; i < depth; i++) u8(0x04);
    u8(0x00);
    return p;
  };
}

describe("evtx: synthetic BinXML limits", () => {
  it("256 nested elements render as JSON and XML; 257 are a typed nesting error, not a stack overflow", async () => {
    const deep = buildEvtx(nestedElements(256));
    const json = await collect(deep, { format: "object" });
    expect(json.summary.records).toBe(1);
    let value: unknown = json.items[0]!.ok ? json.items[0]!.record : undefined;
    for (let i = 0; i < 256; i++) value = (value as Record<string, unknown>).A;
    expect(value).toBe("x");
    const xml = await collect(deep, { format: "xml" });
    expect(xml.items[0]!.ok && xml.items[0]!.record.trimEnd().split("\n").length).toBe(1 + 255 + 1 + 255); // declaration, opens, innermost, closes

    const tooDeep = await collect(buildEvtx(nestedElements(257)));
    expect(tooDeep.items.map((i) => !i.ok && [i.error.structure, i.error.reason])).toEqual([["binxml", "nesting too deep"]]);
  });

  it("a template that re-instantiates itself through BinXML substitutions stops at the expansion budget", async () => {
    // Template T: 1000 optional substitutions of value 0 (BinXML). Value 0 instantiates T again, three
    // levels deep: 10^9 substitutions if nothing stopped it.
    const bytes = buildEvtx((chunk, start) => {
      let p = start;
      const u8 = (v: number) => chunk.setUint8(p++, v);
      const u16 = (v: number) => ((chunk.setUint16(p, v, true), (p += 2)));
      const u32 = (v: number) => ((chunk.setUint32(p, v, true), (p += 4)));
      const definition = start + 4 + 10;
      const level = (n: number): number[] => {
        if (n === 0) return [0x05, 0x01, 1, 0, 0x78, 0];
        const inner = level(n - 1);
        const instance = [0x0c, 0, 1, 0, 0, 0, ...new Uint8Array(new Uint32Array([definition]).buffer)];
        return [...instance, 1, 0, 0, 0, inner.length & 0xff, inner.length >> 8, 0x21, 0, ...inner];
      };
      [0x0f, 1, 1, 0].forEach(u8);
      u8(0x0c), u8(0), u32(1), u32(definition);
      u32(0), p += 16, u32(1000 * 4 + 1); // definition header: next, GUID, data size
      for (let i = 0; i < 1000; i++) u8(0x0e), u16(0), u8(0x21);
      u8(0x00);
      const value = level(2);
      u32(1), u16(value.length), u8(0x21), u8(0);
      value.forEach(u8);
      u8(0x00);
      return p;
    });
    const { items } = await collect(bytes);
    expect(items.map((i) => !i.ok && [i.error.structure, i.error.reason])).toEqual([["binxml", "expansion exceeds the per-chunk limit"]]);
  });
});

/** Little-endian byte writer for synthetic BinXML. */
class Bytes {
  readonly data: number[] = [];
  u8(...values: number[]) {
    for (const v of values) this.data.push(v & 0xff);
    return this;
  }
  u16(v: number) {
    return this.u8(v, v >> 8);
  }
  u32(v: number) {
    return this.u8(v, v >> 8, v >> 16, v >>> 24);
  }
  u64(v: bigint) {
    for (let i = 0n; i < 8n; i++) this.u8(Number((v >> (8n * i)) & 0xffn));
    return this;
  }
  utf16(text: string) {
    for (let i = 0; i < text.length; i++) this.u16(text.charCodeAt(i));
    return this;
  }
}

/** One substitution value of each BinXML type, the JSON Corvid must give for it and its XML text. */
const typedValues: { type: number; bytes: Bytes; json: unknown; xml: string }[] = [
  { type: 0x00, bytes: new Bytes(), json: null, xml: "" },
  { type: 0x01, bytes: new Bytes().utf16("h\u00e9llo \u6d4b\"<&>"), json: "h\u00e9llo \u6d4b\"<&>", xml: "h\u00e9llo \u6d4b\"&lt;&amp;&gt;" },
  { type: 0x02, bytes: new Bytes().u8(0x61, 0x62, 0xe9, 0), json: "ab\u00e9", xml: "ab\u00e9" },
  { type: 0x03, bytes: new Bytes().u8(-5), json: -5, xml: "-5" },
  { type: 0x04, bytes: new Bytes().u8(250), json: 250, xml: "250" },
  { type: 0x05, bytes: new Bytes().u16(-300 & 0xffff), json: -300, xml: "-300" },
  { type: 0x06, bytes: new Bytes().u16(65000), json: 65000, xml: "65000" },
  { type: 0x07, bytes: new Bytes().u32(-70000 >>> 0), json: -70000, xml: "-70000" },
  { type: 0x08, bytes: new Bytes().u32(4_000_000_000), json: 4_000_000_000, xml: "4000000000" },
  { type: 0x09, bytes: new Bytes().u64(BigInt.asUintN(64, -5_000_000_000_000n)), json: -5_000_000_000_000, xml: "-5000000000000" },
  { type: 0x0a, bytes: new Bytes().u64(9_007_199_254_740_991n), json: 9_007_199_254_740_991, xml: "9007199254740991" },
  { type: 0x0b, bytes: new Bytes().u8(...new Uint8Array(new Float32Array([1.5]).buffer)), json: 1.5, xml: "1.5" },
  { type: 0x0c, bytes: new Bytes().u8(...new Uint8Array(new Float64Array([-2.25]).buffer)), json: -2.25, xml: "-2.25" },
  { type: 0x0d, bytes: new Bytes().u32(1), json: true, xml: "true" },
  { type: 0x0e, bytes: new Bytes().u8(0xde, 0xad, 0x01), json: "DEAD01", xml: "DEAD01" },
  {
    type: 0x0f,
    bytes: new Bytes().u8(0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d),
    json: "54849625-5478-4994-A5BA-3E3B0328C30D",
    xml: "54849625-5478-4994-A5BA-3E3B0328C30D",
  },
  { type: 0x10, bytes: new Bytes().u64(0x1000n), json: "0x1000", xml: "0x1000" },
  {
    type: 0x11,
    bytes: new Bytes().u64((BigInt(Date.UTC(2016, 6, 8, 18, 12, 51, 681)) + 11_644_473_600_000n) * 10_000n + 6_408n),
    json: "2016-07-08T18:12:51.681640Z",
    xml: "2016-07-08T18:12:51.681640Z",
  },
  {
    type: 0x12,
    bytes: new Bytes().u16(2020).u16(2).u16(6).u16(29).u16(13).u16(14).u16(15).u16(123),
    json: "2020-02-29T13:14:15.123000Z",
    xml: "2020-02-29T13:14:15.123000Z",
  },
  { type: 0x13, bytes: new Bytes().u8(1, 4, 0, 0, 0, 0, 0, 5).u32(21).u32(1).u32(2).u32(3), json: "S-1-5-21-1-2-3", xml: "S-1-5-21-1-2-3" },
  { type: 0x14, bytes: new Bytes().u32(0x3e7), json: "0x3e7", xml: "0x3e7" },
  { type: 0x15, bytes: new Bytes().u64(0x8020000000000000n), json: "0x8020000000000000", xml: "0x8020000000000000" },
  { type: 0x81, bytes: new Bytes().utf16("a\0bc\0"), json: ["a", "bc"], xml: "a,bc" },
  { type: 0x86, bytes: new Bytes().u16(1).u16(2).u16(3), json: [1, 2, 3], xml: "1,2,3" },
  {
    type: 0x93,
    bytes: new Bytes().u8(1, 1, 0, 0, 0, 0, 0, 5).u32(18).u8(1, 2, 0, 0, 0, 0, 0, 5).u32(32).u32(544),
    json: ["S-1-5-18", "S-1-5-32-544"],
    xml: "S-1-5-18,S-1-5-32-544",
  },
];

/**
 * A record: a template instance whose inline definition is <E><V>%0</V><V>%1</V>…</E>, plus a last
 * substitution holding BinXML (<X>in</X>) of its own.
 */
function typedValuesRecord(chunk: DataView, start: number): number {
  const nameAt = new Map<string, number>();
  const body = new Bytes();
  const bodyStart = start + 4 + 10 + 24;
  const name = (b: Bytes, base: number, text: string) => {
    const known = nameAt.get(text);
    if (known !== undefined) return b.u32(known);
    const at = base + b.data.length + 4;
    nameAt.set(text, at);
    return b.u32(at).u32(0).u16(0).u16(text.length).utf16(text).u16(0);
  };
  const open = (b: Bytes, base: number, text: string, dependencyId: boolean) => {
    b.u8(0x01);
    if (dependencyId) b.u16(0xffff);
    name(b.u32(0), base, text);
    return b.u8(0x02);
  };
  open(body, bodyStart, "E", true);
  typedValues.forEach((_, i) => open(body, bodyStart, "V", true).u8(0x0d).u16(i).u8(typedValues[i]!.type).u8(0x04));
  body.u8(0x0d).u16(typedValues.length).u8(0x21).u8(0x04, 0x00);

  const instance = new Bytes().u8(0x0f, 1, 1, 0, 0x0c, 0).u32(1).u32(start + 4 + 10);
  instance.u32(0).u8(...new Array<number>(16).fill(0)).u32(body.data.length).u8(...body.data);
  // The BinXML value is placed after the other values; its name offsets depend on where it lands.
  const valuesStart = start + instance.data.length + 4 + (typedValues.length + 1) * 4;
  const plainValues = typedValues.flatMap((v) => v.bytes.data);
  const inner = new Bytes();
  open(inner, valuesStart + plainValues.length, "X", false).u8(0x05, 0x01).u16(2).utf16("in").u8(0x04, 0x00);
  instance.u32(typedValues.length + 1);
  for (const v of typedValues) instance.u16(v.bytes.data.length).u8(v.type, 0);
  instance.u16(inner.data.length).u8(0x21, 0).u8(...plainValues, ...inner.data, 0x00);
  instance.data.forEach((b, i) => chunk.setUint8(start + i, b));
  return start + instance.data.length;
}

describe("evtx: every substitution value type", () => {
  it("renders each type (and arrays, and BinXML in a substitution) as typed JSON and as XML text", async () => {
    const bytes = buildEvtx(typedValuesRecord);
    const { items } = await collect(bytes, { format: "object" });
    const item = items[0]!;
    if (!item.ok) throw item.error;
    const element = item.record.E as Record<string, unknown>;
    typedValues.forEach((v, i) => expect(element[i === 0 ? "V" : `V_${i}`], `type 0x${v.type.toString(16)}`).toStrictEqual(v.json));
    expect(element.X).toBe("in");

    const xml = await collect(bytes, { format: "xml" });
    const text = xml.items[0]!.ok ? xml.items[0]!.record : "";
    const values = [...text.matchAll(/<V>([^<]*)<\/V>/g)].map((m) => m[1]);
    expect(values).toEqual(typedValues.map((v) => v.xml));
    expect(text).toContain("<X>in</X>");
  });
});

describe("evtx: bad input", () => {
  it("a file that is not EVTX fails with one typed ParseError", async () => {
    const { items, summary } = await collect(new Uint8Array(200_000).fill(0x41));
    expect(items.length).toBe(2);
    for (const item of items) {
      expect(item.ok).toBe(false);
      if (!item.ok) expect(item.error).toBeInstanceOf(ParseError);
    }
    expect(summary.records).toBe(0);
  });

  it("empty and too-short inputs fail with a short-read ParseError", async () => {
    for (const bytes of [new Uint8Array(0), readFileSync(join(omer, "security.evtx")).subarray(0, 100)]) {
      const { items } = await collect(bytes);
      expect(items.length).toBe(1);
      const item = items[0]!;
      if (item.ok) throw new Error("expected an error");
      expect(item.error).toMatchObject({ format: "evtx", structure: "file header", need: 128, have: bytes.length });
    }
  });

  it("strict checksums turn CRC mismatches into chunk errors instead of warnings", async () => {
    const lenient = await collect(join(omer, "Application_no_crc32.evtx"));
    expect(lenient.summary.warnings.length).toBeGreaterThan(0);
    const strict = await collect(join(omer, "Application_no_crc32.evtx"), { strictChecksums: true });
    expect(strict.summary.records).toBe(0);
    const failure = strict.items.find((i) => !i.ok);
    expect(failure && !failure.ok && failure.error.reason).toMatch(/checksum mismatch/);
  });

  it("streams from an async iterable and a random-access reader give the same records as a buffer", async () => {
    const bytes = readFileSync(join(omer, "security.evtx"));
    const whole = await collect(bytes);
    async function* pieces() {
      for (let i = 0; i < bytes.length; i += 7_777) yield bytes.subarray(i, i + 7_777);
    }
    const reader = { size: bytes.length, read: async (offset: number, length: number) => bytes.slice(offset, offset + length) };
    for (const source of [pieces(), reader]) {
      const stream = parseEvtx(source);
      const records: string[] = [];
      for await (const item of stream) if (item.ok) records.push(item.record);
      expect(records).toEqual(whole.items.flatMap((i) => (i.ok ? [i.record] : [])));
    }
  });
});
