// Throughput of Corvid's EVTX parser (WASM, one thread, JSON output) against libevtx's evtxexport
// (XML output to /dev/null) on the same files, plus the module size and peak memory on a 100 MB log
// streamed from disk. Usage: npm run bench:evtx [-- DIR]
// Last line: `evtx: corvid A MB/s, evtxexport B MB/s, ratio R`.
import { spawnSync } from "node:child_process";
import { createReadStream, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseEvtx } from "../src/evtx.ts";

const MB = 1024 * 1024;
const TARGET_BYTES = 40 * MB; // repeat the set until each tool has parsed at least this much
const dir = resolve(process.argv[2] ?? "../shared/corpora");
const wasmFile = new URL("../build/evtx.wasm", import.meta.url);

function evtxFiles(path: string): string[] {
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? evtxFiles(join(path, e.name)) : e.name.toLowerCase().endsWith(".evtx") ? [join(path, e.name)] : []));
}

function runEvtxexport(file: string, devNull: number): boolean {
  return spawnSync("evtxexport", ["-f", "xml", file], { stdio: ["ignore", devNull, "ignore"] }).status === 0;
}

async function timeCorvid(files: string[], n: number): Promise<{ seconds: number; records: number }> {
  const started = performance.now();
  let records = 0;
  for (let i = 0; i < n; i++) records += await corvidRound(files);
  return { seconds: (performance.now() - started) / 1000, records };
}

function timeEvtxexport(files: string[], n: number, devNull: number): number {
  const started = performance.now();
  for (let i = 0; i < n; i++) for (const file of files) runEvtxexport(file, devNull);
  return (performance.now() - started) / 1000;
}

async function corvidRound(files: string[]): Promise<number> {
  let records = 0;
  for (const file of files) {
    for await (const item of parseEvtx(readFileSync(file), { format: "json" })) if (item.ok && item.record.length > 0) records++;
  }
  return records;
}

function rounds(setBytes: number): number {
  return Math.max(1, Math.ceil(TARGET_BYTES / setBytes));
}

/** A 100 MB log made of the chunks of a real one, parsed as a stream to show memory stays bounded. */
async function bigFilePeak(sample: string): Promise<{ mb: number; seconds: number; records: number; wasmMemoryBytes: number }> {
  const source = readFileSync(sample);
  const chunks = source.subarray(4096, 4096 + Math.floor((source.length - 4096) / 65536) * 65536);
  const path = join(tmpdir(), `corvid-bench-${process.pid}.evtx`);
  const fd = openSync(path, "w");
  writeSync(fd, source.subarray(0, 4096));
  let size = 4096;
  while (size < 100 * MB) size += writeSync(fd, chunks);
  closeSync(fd);
  try {
    const started = performance.now();
    let records = 0;
    const stream = parseEvtx(createReadStream(path, { highWaterMark: 1 << 20 }), { format: "json" });
    for await (const item of stream) if (item.ok) records++;
    return { mb: size / MB, seconds: (performance.now() - started) / 1000, records, wasmMemoryBytes: stream.summary.wasmMemoryBytes };
  } finally {
    rmSync(path);
  }
}

async function main(): Promise<void> {
  const devNull = openSync("/dev/null", "w");
  // First, so that the peak RSS below is the one of streaming a 100 MB log (plus Node itself).
  const big = await bigFilePeak(evtxFiles(dir).reduce((a, b) => (statSync(a).size >= statSync(b).size ? a : b)));
  const bigPeakRss = process.resourceUsage().maxRSS / 1024;
  // Only files both tools read completely (evtxexport stops at BinXML it does not support).
  const files = evtxFiles(dir).filter((f) => runEvtxexport(f, devNull));
  const setBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const n = rounds(setBytes);
  console.log(`set: ${files.length} files, ${(setBytes / MB).toFixed(1)} MB, ${n} rounds each`);

  await corvidRound(files.slice(0, 5)); // warm-up: compile the module, JIT the wrapper
  const { seconds: corvidSeconds, records } = await timeCorvid(files, n);
  const evtxexportSeconds = timeEvtxexport(files, n, devNull);
  // evtxexport pays a process start per file; on the files of 1 MB and more that cost is small.
  const large = files.filter((f) => statSync(f).size >= MB);
  const largeBytes = large.reduce((total, f) => total + statSync(f).size, 0);
  const largeRounds = rounds(largeBytes);
  const largeCorvid = (largeBytes * largeRounds) / MB / (await timeCorvid(large, largeRounds)).seconds;
  const largeEvtxexport = (largeBytes * largeRounds) / MB / timeEvtxexport(large, largeRounds, devNull);
  closeSync(devNull);

  const corvidRate = (setBytes * n) / MB / corvidSeconds;
  const evtxexportRate = (setBytes * n) / MB / evtxexportSeconds;
  console.log(`corvid: ${records} records in ${corvidSeconds.toFixed(2)} s; evtxexport: ${evtxexportSeconds.toFixed(2)} s (one process per file)`);
  console.log(
    `files >= 1 MB only (${large.length} files): corvid ${largeCorvid.toFixed(1)} MB/s, evtxexport ${largeEvtxexport.toFixed(1)} MB/s, ratio ${(largeCorvid / largeEvtxexport).toFixed(2)}`,
  );
  console.log(`wasm module: build/evtx.wasm ${readFileSync(wasmFile).length} bytes`);
  console.log(
    `100 MB streamed log: ${big.mb.toFixed(0)} MB, ${big.records} records, ${(big.mb / big.seconds).toFixed(1)} MB/s, wasm memory ${(big.wasmMemoryBytes / MB).toFixed(1)} MB, peak RSS ${bigPeakRss.toFixed(0)} MB`,
  );
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (whole benchmark process)`);
  console.log(`evtx: corvid ${corvidRate.toFixed(1)} MB/s, evtxexport ${evtxexportRate.toFixed(1)} MB/s, ratio ${(corvidRate / evtxexportRate).toFixed(2)}`);
}

await main();
