// Mutation fuzzing of the parsers over real corpus files: bit flips, truncation, zeroed ranges and length
// fields set to huge values. Every case must end in records and/or typed ParseErrors: never another
// exception (a wasm trap surfaces as a RuntimeError), a hang (the test timeout) or unbounded memory.
// The PRNG is seeded: a failure message names the seed and case so it can be replayed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../src/errors.ts";
import { parseEvtx } from "../src/evtx.ts";
import { LnkParser } from "../src/lnk.ts";
import { PrefetchParser } from "../src/prefetch.ts";
import { RegistryHive } from "../src/regf.ts";
import { corpora, samples } from "./evtx-corpus.ts";

/** Each format adds one entry: its sample files, where its length fields are, and how to parse fully. */
interface FuzzTarget {
  format: string;
  cases: number;
  samples: () => Uint8Array[];
  /** Offsets of u32 length/offset fields in a sample, so "huge length" mutations hit real fields. */
  lengthFields: (bytes: Uint8Array) => number[];
  /** Parses everything; returns the wasm memory size reached (bytes). May reject only with ParseError. */
  parse: (bytes: Uint8Array) => Promise<{ records: number; errors: number; wasmMemoryBytes: number }>;
  /** Upper bound for wasmMemoryBytes: memory must stay bounded whatever the input. */
  maxWasmMemoryBytes: number;
}

// Replay or widen a run with CORVID_FUZZ_SEED=<number> and CORVID_FUZZ_SCALE=<case multiplier>.
const SEED = Number(process.env.CORVID_FUZZ_SEED ?? 0x5eed_2026);
const SCALE = Number(process.env.CORVID_FUZZ_SCALE ?? 1);
const MB = 1024 * 1024;

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE_VALUES = [0xffffffff, 0x7fffffff, 0x80000000, 0x0001_0000, 0x0000ffff, 0xfffffff0];

function mutate(sample: Uint8Array, fields: number[], random: () => number): { bytes: Uint8Array; kind: string } {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = sample.slice();
  switch (int(5)) {
    case 0: {
      const flips = 1 + int(16);
      for (let i = 0; i < flips; i++) bytes[int(bytes.length)]! ^= 1 << int(8);
      return { bytes, kind: `${flips} bit flips` };
    }
    case 1:
      return { bytes: bytes.subarray(0, int(bytes.length)), kind: "truncation" };
    case 2: {
      const start = int(bytes.length);
      const length = 1 + int(4096);
      bytes.fill(random() < 0.5 ? 0 : 0xff, start, Math.min(bytes.length, start + length));
      return { bytes, kind: "filled range" };
    }
    case 3: {
      const at = fields.length > 0 && random() < 0.7 ? fields[int(fields.length)]! : int(Math.max(1, bytes.length - 4));
      const value = random() < 0.8 ? HUGE_VALUES[int(HUGE_VALUES.length)]! : Math.floor(random() * 0xffffffff);
      if (at + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
      return { bytes, kind: `u32 0x${value.toString(16)} at 0x${at.toString(16)}` };
    }
    default: {
      // u16 counts (name and string lengths, substitution sizes) set to huge values.
      const at = int(Math.max(1, bytes.length - 2));
      new DataView(bytes.buffer, bytes.byteOffset).setUint16(at, random() < 0.5 ? 0xffff : 0x8000 + int(0x8000), true);
      return { bytes, kind: `u16 at 0x${at.toString(16)}` };
    }
  }
}

function read(path: string, maxBytes = Infinity): Uint8Array {
  const bytes = readFileSync(path);
  return new Uint8Array(bytes.subarray(0, Math.min(bytes.length, maxBytes)));
}

const evtxSamples = [
  join(samples, "omerbenamram-evtx/Application_no_crc32.evtx"),
  join(samples, "omerbenamram-evtx/issue_201.evtx"),
  join(samples, "omerbenamram-evtx/MSExchange_Management_wec.evtx"),
  join(samples, "omerbenamram-evtx/E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx"),
  join(samples, "omerbenamram-evtx/security.evtx"),
  join(samples, "chainsaw/evtx/security_sample.evtx"),
  join(corpora, "sigma-regression/rules/windows/process_creation/proc_creation_win_curl_custom_user_agent/85de1f22-d189-44e4-8239-dc276b45379b.evtx"),
];

/** One LNK instance for all cases, like Prefetch: errors must leave it usable. */
let lnkParser: Promise<LnkParser> | undefined;

/** One Prefetch instance for all cases: errors must leave it usable. */
let prefetchParser: Promise<PrefetchParser> | undefined;

const EVTX_FORMATS = ["json", "xml", "object"] as const;
let evtxCases = 0;

const FUZZ_TARGETS: FuzzTarget[] = [
  {
    format: "evtx",
    cases: 10_000,
    // File header + the first chunk keeps each case around a millisecond; BinXML is where the depth is.
    samples: () => evtxSamples.map((path) => read(path, 4096 + 0x10000)),
    lengthFields: (bytes) => {
      const fields = [32, 36, 40, 42]; // file header: chunk numbers, header size, chunk count
      for (let chunk = 4096; chunk + 512 <= bytes.length; chunk += 0x10000) {
        fields.push(chunk + 40, chunk + 44, chunk + 48); // header size, last record offset, free space offset
        for (let p = chunk + 512; p + 8 <= bytes.length; p++) {
          if (bytes[p] === 0x2a && bytes[p + 1] === 0x2a && bytes[p + 2] === 0 && bytes[p + 3] === 0) fields.push(p + 4);
          if (bytes[p] === 0x0c && p + 10 <= bytes.length) fields.push(p + 6); // template definition offset
        }
      }
      return fields;
    },
    parse: async (bytes) => {
      // "object" runs JSON.parse over the wasm's JSON, so malformed JSON would surface as a SyntaxError.
      const stream = parseEvtx(bytes, { format: EVTX_FORMATS[evtxCases++ % EVTX_FORMATS.length]! });
      for await (const item of stream) {
        if (!item.ok && !(item.error instanceof ParseError)) throw new Error("untyped error item");
      }
      const { records, errors, wasmMemoryBytes } = stream.summary;
      return { records, errors, wasmMemoryBytes };
    },
    maxWasmMemoryBytes: 256 * MB,
  },
  {
    format: "prefetch",
    cases: 10_000,
    // Versions 17, 23, 26, 30 (both variants, MAM-compressed) and 31; whole files, 2–50 KiB.
    samples: () =>
      [
        "ez-prefetch/XPPro/CALC.EXE-02CD573A.pf",
        "ez-prefetch/Win7/CALC.EXE-77FDF17F.pf",
        "ez-prefetch/Win8x/CALC.EXE-77FDF17F.pf",
        "ez-prefetch/Win10/CALC.EXE-3FBEF7FD.pf",
        "plaso/winprefetch/NOTEPAD.EXE-D8414F97.pf",
        "plaso/winprefetch/AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf",
      ].map((path) => read(join(corpora, "windows-artifacts", path))),
    lengthFields: (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      if (bytes[0] === 0x4d) return [4]; // MAM: the uncompressed size
      const fields = [12, 84, 88, 92, 96, 100, 104, 108, 112, 116]; // file size, section offsets and counts
      const volumes = view.getUint32(108, true);
      // Device path, file reference and directory string offsets/counts of the first volume entry.
      for (const field of [0, 4, 20, 24, 28, 32]) if (volumes + field + 4 <= bytes.length) fields.push(volumes + field);
      return fields;
    },
    parse: async (bytes) => {
      const parser = await (prefetchParser ??= PrefetchParser.create());
      parser.parse(bytes);
      return { records: 1, errors: 0, wasmMemoryBytes: parser.wasmMemoryBytes };
    },
    maxWasmMemoryBytes: 256 * MB,
  },
  {
    format: "lnk",
    cases: 10_000,
    // XP/Vista/7/10 links: ID lists with extension blocks, local and network link info, tracker, Darwin,
    // property stores.
    samples: () =>
      [
        "plaso/NeroInfoTool.lnk",
        "plaso/unpaired_surrogate.lnk",
        "ez-lnk/Misc/remote.file.xp.test",
        "ez-lnk/Misc/local.file.darwin.test",
        "ez-lnk/Win10/Google Chrome (2).lnk.test",
        "ez-lnk/WinVista/Windows Update.lnk",
      ].map((path) => read(join(corpora, "windows-artifacts", path))),
    lengthFields: (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const fields = [0, 76]; // header size; ID list size + first item size
      const flags = view.getUint32(20, true);
      let at = 76;
      if (flags & 1) {
        const end = Math.min(bytes.length, 78 + view.getUint16(76, true));
        for (let item = 78; item + 2 <= end && view.getUint16(item, true) >= 2; item += view.getUint16(item, true)) fields.push(item);
        at = end;
      }
      if (flags & 2) for (const field of [0, 4, 12, 16, 20, 24]) fields.push(at + field); // LinkInfo sizes and offsets
      return fields.filter((field) => field + 4 <= bytes.length);
    },
    parse: async (bytes) => {
      const parser = await (lnkParser ??= LnkParser.create());
      const info = await parser.parse(bytes);
      return { records: 1, errors: info.warnings.length, wasmMemoryBytes: parser.wasmMemoryBytes };
    },
    maxWasmMemoryBytes: 64 * MB,
  },
  {
    format: "regf",
    cases: 5_000,
    // The two small plaso hives (101 keys each) and the first 64 KiB of NTUSER.DAT keep a case at a
    // millisecond or two; every case walks the whole (damaged) tree.
    samples: () => [
      read(join(corpora, "windows-artifacts/plaso/regf/100_sub_keys.hiv")),
      read(join(corpora, "windows-artifacts/plaso/regf/corrupt_sub_key_list.hiv")),
      read(join(corpora, "windows-artifacts/plaso/regf/NTUSER.DAT"), 0x10000),
    ],
    lengthFields: (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const root = 4096 + view.getUint32(36, true) + 4; // root nk cell data
      // Root cell offset, hive bins size, first hbin size, root cell size, subkey/value counts and lists,
      // security and name length.
      const fields = [36, 40, 4096 + 8, root - 4, root + 20, root + 28, root + 36, root + 40, root + 44, root + 72];
      if (root + 32 <= bytes.length) {
        const list = 4096 + view.getUint32(root + 28, true) + 4; // root's subkey list: count and entries
        fields.push(list, list + 4, list + 12);
      }
      return fields.filter((field) => field + 4 <= bytes.length);
    },
    parse: async (bytes) => {
      const hive = await RegistryHive.open(bytes);
      let records = 0;
      let errors = 0;
      for await (const record of hive.walk()) {
        if (record.kind === "key") records++;
        else if (record.error instanceof ParseError) errors++;
        else throw new Error("untyped error record");
      }
      return { records, errors, wasmMemoryBytes: hive.wasmMemoryBytes };
    },
    maxWasmMemoryBytes: 64 * MB,
  },
];

describe("fuzz: mutated corpus files end in records or typed errors", () => {
  for (const target of FUZZ_TARGETS) {
    const cases = Math.round(target.cases * SCALE);
    it(`${target.format}: ${cases} cases (seed 0x${SEED.toString(16)})`, async () => {
      const random = mulberry32(SEED);
      const sampleBytes = target.samples();
      const fields = sampleBytes.map((bytes) => target.lengthFields(bytes));
      let withRecords = 0;
      let withErrors = 0;
      let peakMemory = 0;
      for (let index = 0; index < cases; index++) {
        const sample = Math.floor(random() * sampleBytes.length);
        const { bytes, kind } = mutate(sampleBytes[sample]!, fields[sample]!, random);
        const where = `${target.format} case ${index} (seed 0x${SEED.toString(16)}, sample ${sample}, ${kind})`;
        try {
          const result = await target.parse(bytes);
          if (result.records > 0) withRecords++;
          if (result.errors > 0) withErrors++;
          peakMemory = Math.max(peakMemory, result.wasmMemoryBytes);
          if (result.wasmMemoryBytes > target.maxWasmMemoryBytes) throw new Error(`wasm memory ${result.wasmMemoryBytes} bytes`);
        } catch (error) {
          if (error instanceof ParseError) {
            withErrors++;
            continue;
          }
          throw new Error(`${where}: ${String(error)}`);
        }
      }
      // The mutations must exercise both paths, or the test proves nothing.
      expect(withRecords).toBeGreaterThan(cases / 10);
      expect(withErrors).toBeGreaterThan(cases / 10);
      expect(peakMemory).toBeLessThanOrEqual(target.maxWasmMemoryBytes);
    }, 180_000 * SCALE);
  }
});
