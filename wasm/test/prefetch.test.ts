// Every expected value that EricZimmerman/Prefetch and plaso assert about the Prefetch files of the
// windows-artifacts corpus, checked against Corvid's parser.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ParseError } from "../src/errors.ts";
import { PrefetchParser, type PrefetchInfo, type PrefetchVolume } from "../src/prefetch.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const corpus = resolve(repoRoot, "../shared/corpora/windows-artifacts");

let parser: PrefetchParser;
beforeAll(async () => {
  parser = await PrefetchParser.create();
});

function parseCorpusFile(relative: string): PrefetchInfo {
  return parser.parse(readFileSync(join(corpus, relative)));
}

function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".json"))
    .map((name) => join(dir, name))
    .sort();
}

/** Both corpora write times with an offset; Corvid writes UTC with 7 fractional digits and a Z. */
function toUtcIso(text: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?([+-]\d\d:\d\d)$/.exec(text.replace(/[\s,]/g, ""));
  if (!match) throw new Error(`unrecognised timestamp ${text}`);
  const [, wholeSeconds = "", fraction = "", offset = ""] = match;
  const utc = new Date(`${wholeSeconds}${offset}`).toISOString().slice(0, 19);
  return `${utc}.${fraction.padEnd(7, "0")}Z`;
}

describe("EricZimmerman/Prefetch expectations", () => {
  interface EzExpectation {
    input: string;
    folder_level_facts?: { prefetch_format_version: number; signature: string };
    expect_error?: string;
    file_specific_assertions?: { assertions: { expr: string; op: string; expected: string }[] }[];
  }
  const expectations = jsonFilesUnder(join(corpus, "ez-prefetch/expected")).map(
    (file) => JSON.parse(readFileSync(file, "utf8")) as EzExpectation,
  );

  it("covers every Prefetch file of the EZ corpus", () => {
    const pfFiles = readdirSync(join(corpus, "ez-prefetch"), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".pf") && !name.startsWith("expected"))
      .map((name) => `ez-prefetch/${name}`);
    expect(expectations.map((e) => e.input).sort()).toEqual(pfFiles.sort());
    expect(pfFiles.length).toBeGreaterThan(30);
  });

  /** EZ prints hashes and serial numbers as upper-case hex without leading zeros. */
  const ezHex = (value: number): string => value.toString(16).toUpperCase();

  /**
   * EZ reads a volume's file references from 8 bytes after the list header in every version. From
   * version 23 on the header is 16 bytes, so its entry 0 is the header's second half and its entry i is
   * Corvid's entry i - 1. A zero sequence number (no NTFS sequence) is null in EZ.
   */
  function ezFileReference(pf: PrefetchInfo, volume: PrefetchVolume, index: number) {
    const reference = volume.fileReferences[pf.version === 17 ? index : index - 1];
    if (!reference) throw new Error(`no file reference ${index}`);
    return { entry: reference.mftEntry, sequence: reference.sequence === 0 ? null : reference.sequence };
  }

  const volume = (pf: PrefetchInfo, index: string): PrefetchVolume => {
    const found = pf.volumes[Number(index)];
    if (!found) throw new Error(`no volume ${index}`);
    return found;
  };

  /** Each EZ property path Corvid must answer, and how Corvid's output answers it. */
  const properties: [RegExp, (pf: PrefetchInfo, ...groups: string[]) => unknown][] = [
    [/^pf\.Header\.ExecutableFilename$/, (pf) => pf.executableName],
    [/^pf\.Header\.Hash$/, (pf) => ezHex(pf.hash)],
    [/^pf\.Header\.FileSize$/, (pf) => pf.fileSize],
    [/^pf\.LastRunTimes\[(\d+)\]$/, (pf, i) => pf.lastRunTimes[Number(i)]],
    [/^pf\.RunCount$/, (pf) => pf.runCount],
    [/^pf\.VolumeCount$/, (pf) => pf.volumes.length],
    [/^pf\.Filenames\.Count$/, (pf) => pf.filenames.length],
    [/^pf\.Filenames\[(\d+)\]$/, (pf, i) => pf.filenames[Number(i)]],
    [/^pf\.VolumeInformation\[(\d+)\]\.DeviceName$/, (pf, v) => volume(pf, v).devicePath],
    [/^pf\.VolumeInformation\[(\d+)\]\.SerialNumber$/, (pf, v) => ezHex(volume(pf, v).serialNumber)],
    [/^pf\.VolumeInformation\[(\d+)\]\.CreationTime$/, (pf, v) => volume(pf, v).creationTime],
    [/^pf\.VolumeInformation\[(\d+)\]\.DirectoryNames\.Count$/, (pf, v) => volume(pf, v).directories.length],
    [/^pf\.VolumeInformation\[(\d+)\]\.DirectoryNames\[(\d+)\]$/, (pf, v, i) => volume(pf, v).directories[Number(i)]],
    [/^pf\.VolumeInformation\[(\d+)\]\.FileReferences\.Count$/, (pf, v) => volume(pf, v).fileReferences.length],
    [
      /^pf\.VolumeInformation\[(\d+)\]\.FileReferences\[(\d+)\]\.MFTEntryNumber$/,
      (pf, v, i) => ezFileReference(pf, volume(pf, v), Number(i)).entry,
    ],
    [
      /^pf\.VolumeInformation\[(\d+)\]\.FileReferences\[(\d+)\]\.MFTSequenceNumber$/,
      (pf, v, i) => ezFileReference(pf, volume(pf, v), Number(i)).sequence,
    ],
  ];

  function actualValue(pf: PrefetchInfo, expr: string): unknown {
    for (const [pattern, read] of properties) {
      const match = pattern.exec(expr);
      if (match) return read(pf, ...match.slice(1));
    }
    throw new Error(`no mapping for EZ property ${expr}`);
  }

  /** C# literals as they appear in the FluentAssertions: strings, (ulong) casts, null, DateTimeOffset.Parse. */
  function expectedValue(literal: string): unknown {
    const date = /^DateTimeOffset\.Parse\("(.*)"\)$/.exec(literal);
    if (date) return toUtcIso(date[1] ?? "");
    const text = /^@?"(.*)"$/.exec(literal);
    if (text) return text[1];
    if (literal === "null") return null;
    const number = /^(?:\(ulong\)\s*)?(\d+)$/.exec(literal);
    if (number) return Number(number[1]);
    throw new Error(`unrecognised C# literal ${literal}`);
  }

  for (const expectation of expectations) {
    if (expectation.expect_error) {
      it(`${expectation.input} fails with a typed bad-signature error`, () => {
        let caught: unknown;
        try {
          parseCorpusFile(expectation.input);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(ParseError);
        expect(caught).toMatchObject({ format: "prefetch", structure: "file header", offset: 4 });
        expect((caught as ParseError).reason).toMatch(/bad signature: expected SCCA/);
        expect(expectation.expect_error).toMatch(/Invalid signature/);
      });
      continue;
    }
    it(`${expectation.input} matches every EZ assertion`, () => {
      const pf = parseCorpusFile(expectation.input);
      const facts = expectation.folder_level_facts;
      expect(facts?.signature).toBe("SCCA");
      expect(pf.version).toBe(facts?.prefetch_format_version);
      for (const group of expectation.file_specific_assertions ?? []) {
        for (const { expr, op, expected } of group.assertions) {
          expect(op).toBe("Be");
          expect(actualValue(pf, expr), expr).toEqual(expectedValue(expected));
        }
      }
    });
  }
});

describe("plaso expectations", () => {
  interface PlasoExpectation {
    input: string;
    tests: {
      counts: { event_data: number; extraction_warning: number; recovery_warning: number };
      checks: { container: string; index: number; expected: Record<string, unknown> }[];
    }[];
  }
  const expectations = jsonFilesUnder(join(corpus, "plaso/winprefetch/expected")).map(
    (file) => JSON.parse(readFileSync(file, "utf8")) as PlasoExpectation,
  );

  it("covers every plaso Prefetch file", () => {
    expect(expectations.length).toBe(7);
  });

  /** plaso's path hints: the executable's path in the file list, without the volume device path. */
  function pathHints(pf: PrefetchInfo): string[] {
    // Windows cuts executable names to 29 characters, so a cut name matches as a prefix.
    const truncated = pf.executableName.length === 29;
    return pf.fileMetrics
      .map((metric) => metric.filename)
      .filter((name) => {
        const base = name.slice(name.lastIndexOf("\\") + 1);
        return truncated ? base.startsWith(pf.executableName) : base === pf.executableName;
      })
      .map((name) => {
        const device = pf.volumes.find((v) => name.startsWith(v.devicePath));
        return device ? name.slice(device.devicePath.length) : name;
      });
  }

  const executionFields: Record<string, (pf: PrefetchInfo) => unknown> = {
    data_type: () => "windows:prefetch:execution",
    executable: (pf) => pf.executableName,
    prefetch_hash: (pf) => pf.hash,
    run_count: (pf) => pf.runCount,
    version: (pf) => pf.version,
    last_run_time: (pf) => pf.lastRunTimes[0],
    previous_run_times: (pf) => pf.lastRunTimes.slice(1),
    mapped_files: (pf) => pf.fileMetrics.map((metric) => metric.filename),
    path_hints: pathHints,
    volume_device_paths: (pf) => pf.volumes.map((v) => v.devicePath),
    volume_serial_numbers: (pf) => pf.volumes.map((v) => v.serialNumber),
  };
  const volumeFields: Record<string, (v: PrefetchVolume, input: string) => unknown> = {
    data_type: () => "windows:volume:creation",
    device_path: (v) => v.devicePath,
    serial_number: (v) => v.serialNumber,
    creation_time: (v) => v.creationTime,
    origin: (_v, input) => basename(input),
  };
  const isTime = (field: string) => field.endsWith("_time") || field.endsWith("_times");
  const normalise = (field: string, value: unknown): unknown =>
    isTime(field) ? (Array.isArray(value) ? value.map((t) => toUtcIso(String(t))) : toUtcIso(String(value))) : value;

  for (const expectation of expectations) {
    it(`${expectation.input} matches every plaso check`, () => {
      const pf = parseCorpusFile(expectation.input);
      for (const test of expectation.tests) {
        // plaso emits one volume-creation event per volume and one execution event; no warnings.
        expect(test.counts).toEqual({ event_data: pf.volumes.length + 1, extraction_warning: 0, recovery_warning: 0 });
        for (const check of test.checks) {
          expect(check.container).toBe("event_data");
          const isExecution = check.expected["data_type"] === "windows:prefetch:execution";
          expect(check.index).toBe(isExecution ? pf.volumes.length : check.index);
          for (const [field, expected] of Object.entries(check.expected)) {
            let actual: unknown;
            if (isExecution) {
              const read = executionFields[field];
              if (!read) throw new Error(`no mapping for plaso execution field ${field}`);
              actual = read(pf);
            } else {
              const read = volumeFields[field];
              const volume = pf.volumes[check.index];
              if (!read || !volume) throw new Error(`no mapping for plaso volume field ${field} #${check.index}`);
              actual = read(volume, expectation.input);
            }
            expect(actual, `${check.expected["data_type"]} ${field}`).toEqual(normalise(field, expected));
          }
        }
      }
    });
  }
});

describe("damaged and crafted input", () => {
  const win7Calc = () => new Uint8Array(readFileSync(join(corpus, "ez-prefetch/Win7/CALC.EXE-77FDF17F.pf")));
  const win10Calc = () => new Uint8Array(readFileSync(join(corpus, "ez-prefetch/Win10/CALC.EXE-3FBEF7FD.pf")));
  const setU32 = (bytes: Uint8Array, offset: number, value: number) =>
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value, true);

  function parseError(bytes: Uint8Array): ParseError {
    try {
      parser.parse(bytes);
    } catch (error) {
      if (error instanceof ParseError) return error;
      throw error;
    }
    throw new Error("parse unexpectedly succeeded");
  }

  it("reports a file cut inside the file information as a short read", () => {
    expect(parseError(win7Calc().subarray(0, 100))).toMatchObject({
      format: "prefetch",
      structure: "file information",
      offset: 84,
      reason: "truncated",
      need: 36,
      have: 16,
    });
  });

  it("reports a file cut inside its sections", () => {
    const error = parseError(win7Calc().subarray(0, 1000));
    expect(error.structure).toMatch(/file metrics array|trace chains array|filename strings|volume information/);
    expect(error.reason).toBe("truncated");
    expect(error.have).toBeLessThan(error.need ?? 0);
  });

  it("rejects an unknown format version", () => {
    const bytes = win7Calc();
    setU32(bytes, 0, 99);
    expect(parseError(bytes)).toMatchObject({ structure: "file header", offset: 0, reason: "unsupported format version 99" });
  });

  it("bounds a forged metrics count by the file size", () => {
    const bytes = win7Calc();
    setU32(bytes, 88, 0x7fffffff);
    expect(parseError(bytes)).toMatchObject({ structure: "file metrics array", reason: "truncated" });
  });

  it("bounds a forged directory string count by its section", () => {
    const bytes = win7Calc();
    const volumes = new DataView(bytes.buffer).getUint32(108, true);
    setU32(bytes, volumes + 32, 0xffffffff);
    expect(parseError(bytes).structure).toBe("directory strings");
  });

  it("rejects a MAM header claiming an implausible uncompressed size", () => {
    const bytes = win10Calc();
    setU32(bytes, 4, 0xfffffff0);
    expect(parseError(bytes)).toMatchObject({ structure: "MAM header", offset: 4 });
  });

  it("rejects a compression method other than LZXPRESS Huffman", () => {
    const bytes = win10Calc();
    bytes[3] = 0x02;
    expect(parseError(bytes)).toMatchObject({ structure: "MAM header", reason: "unsupported compression method 2" });
  });

  it("reports a truncated compressed stream", () => {
    const error = parseError(win10Calc().subarray(0, 2000));
    expect(error.structure).toBe("LZXPRESS Huffman block");
  });

  it("reports an empty Huffman table", () => {
    const bytes = win10Calc();
    bytes.fill(0, 8, 8 + 256);
    expect(parseError(bytes)).toMatchObject({ structure: "LZXPRESS Huffman block", offset: 8, reason: "Huffman table has no symbols" });
  });

  it("refuses input far larger than any Prefetch file before copying it into wasm memory", () => {
    expect(parseError(new Uint8Array(65 * 1024 * 1024))).toMatchObject({ structure: "file", offset: 0 });
  });

  it("keeps working after errors and gives the same result as a fresh parser", async () => {
    const reused = parser.parse(win10Calc());
    const fresh = await (await PrefetchParser.create()).parse(win10Calc());
    expect(reused).toEqual(fresh);
    expect(reused.compressed).toBe(true);
  });
});

describe("corvid-parse prefetch", () => {
  const cli = join(repoRoot, "wasm/bin/corvid-parse.mjs");
  const runCli = (...args: string[]) => spawnSync(process.execPath, [cli, "prefetch", ...args], { encoding: "utf8", timeout: 60_000 });

  it("writes one JSON record per file and a summary", () => {
    const result = runCli(join(corpus, "plaso/winprefetch/NOTEPAD.EXE-D8414F97.pf"));
    expect(result.status).toBe(0);
    const record = JSON.parse(result.stdout) as PrefetchInfo;
    expect(record).toMatchObject({ version: 30, compressed: true, executableName: "NOTEPAD.EXE", runCount: 2 });
    expect(result.stderr).toContain("prefetch: 1 records ok, 0 errors");
  });

  it("reports a file that is not a Prefetch file as one error", () => {
    const result = runCli(join(corpus, "ez-prefetch/Bad/notAPrefetch.pf"), "--format", "json");
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(result.stderr).toContain("bad signature: expected SCCA");
    expect(result.stderr).toContain("prefetch: 0 records ok, 1 errors");
  });
});
