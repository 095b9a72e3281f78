/**
 * Compares what evaluation costs in two versions of the engine, measured as bench:sigma measures it: the EVTX attack
 * samples parsed by @corvid/wasm, every Windows rule of the corpus. Single bench runs on a shared VM vary by ±10 %,
 * more than most changes gain. Here one process loads both versions and alternates 20-pass blocks of parse +
 * evaluate with blocks of parse alone, so both versions see the same machine. The version set up second runs about
 * 0.04 ms per pass faster on its own (the same code on both sides shows it), so the comparison runs twice, once in
 * each order, in fresh processes, and the two differences are averaged.
 * With --per-record, the two versions instead evaluate every record one after the other, the first one taking turns,
 * each evaluation timed on its own, for rounds × 20 passes. A version's cost per pass is then the sum, over the records,
 * of the median time of its evaluations of that record: both versions meet the same moments of the machine, and a
 * scavenge or a busy moment of the host moves no median. Identical code on both sides then differs by 1–5 %, the side
 * set up second being slower, which the two orders cancel (to about ±20 µs per pass, where blocks give ±100 µs). Each
 * evaluation follows the other version's, so both run colder than in bench:sigma: read the difference, not the figures.
 * With --per-chunk, the unit is a chunk's records evaluated together, as bench:sigma evaluates them (ADR 015): the closest
 * to the bench's cache conditions, and as precise (identical code: −0.001 and +0.001 ms per pass with --rounds 15).
 * Versions are git refs, or `worktree` for the files as they are; each is copied to packages/sigma/.ab/.
 * Usage: npm run bench:sigma:ab -- [--base REF] [--change REF|worktree] [--rounds N] [--per-record | --per-chunk] [--rules DIR] [--samples DIR]
 * Ends with `sigma-ab: change − base = D ms per pass of R records (X base first, Y change first)`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadEvtxReader, type EvtxReader } from "./event-sources.ts";
import type * as Sigma from "../src/index.ts";
import { argument, requireDirectory } from "./arguments.ts";
import { readEvtxSamples, windowsBench, type WindowsBench } from "./windows-bench.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const copiesDir = join(packageDir, ".ab");
const corpora = resolve(process.cwd(), "../shared/corpora");
const rulesDir = argument("--rules") ?? join(corpora, "sigma-rules");
const samplesDir = argument("--samples") ?? join(corpora, "evtx-attack-samples");
const rounds = Number(argument("--rounds") ?? "40");
const PASSES_PER_BLOCK = 20;
const perRecord = process.argv.includes("--per-record");
const perChunk = process.argv.includes("--per-chunk");

class UsageError extends Error {}

interface OrderResult {
  /** Mean evaluation cost per pass (parse + evaluate block minus the parse-alone block before it), ms. */
  firstMs: number;
  secondMs: number;
  secondWon: number;
  records: number;
  /** What secondWon counts: rounds, records or chunks. */
  units: number;
  findings: [number, number];
}

/** Copies packages/sigma/src of `version` to .ab/<label>/src and gives the path of its index.ts. */
async function copyOf(version: string, label: string): Promise<string> {
  const target = join(copiesDir, label);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  if (version === "worktree") await cp(join(packageDir, "src"), join(target, "src"), { recursive: true });
  else {
    const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: packageDir, encoding: "utf8" }).trim();
    const archive = spawnSync("git", ["archive", version, "packages/sigma/src"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    if (archive.status !== 0) throw new UsageError(`cannot read packages/sigma/src at "${version}": ${archive.stderr.toString().trim()}`);
    execFileSync("tar", ["-x", "-C", target, "--strip-components=2"], { input: archive.stdout });
  }
  return join(target, "src", "index.ts");
}

/** Evaluates one record as bench:sigma does; gives the number of findings. */
function evaluate(side: WindowsBench, record: unknown): number {
  let findings = 0;
  for (const event of side.normalize(record, side.mapping)) findings += side.engine.match(event).length;
  return findings;
}

/** Child process: measures the two engines at `first` and `second` (index.ts paths), set up in that order. */
async function measureOrder(first: string, second: string): Promise<OrderResult> {
  const { reader, problem } = await loadEvtxReader();
  if (!reader) throw new Error(`bench:sigma:ab needs the WASM EVTX parser (npm run build:wasm): ${problem}`);
  const samples = await readEvtxSamples(samplesDir);
  const setUp = async (index: string) => windowsBench((await import(pathToFileURL(index).href)) as typeof Sigma, rulesDir);
  const sides = [await setUp(first), await setUp(second)];
  const pass = async (side: WindowsBench | undefined) => {
    let records = 0;
    let findings = 0;
    for (const bytes of samples) {
      for await (const chunk of reader(bytes)) {
        records += chunk.length;
        if (side) for (const record of chunk) findings += evaluate(side, record);
      }
    }
    return { records, findings };
  };
  const block = async (side: WindowsBench | undefined) => {
    const started = performance.now();
    for (let i = 0; i < PASSES_PER_BLOCK; i++) await pass(side);
    return (performance.now() - started) / PASSES_PER_BLOCK;
  };
  for (let i = 0; i < 3; i++) for (const side of sides) await pass(side);
  const records = (await pass(undefined)).records;
  const findings: [number, number] = [(await pass(sides[0])).findings, (await pass(sides[1])).findings];
  if (perRecord || perChunk) return { ...(await medianPerUnit(sides, reader, samples, perChunk)), records, findings };
  const totals = [0, 0];
  let secondWon = 0;
  for (let round = 0; round < rounds; round++) {
    const costs = [0, 0];
    for (const s of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const parseMs = await block(undefined);
      costs[s] = (await block(sides[s])) - parseMs;
    }
    totals[0]! += costs[0]!;
    totals[1]! += costs[1]!;
    if (costs[1]! < costs[0]!) secondWon++;
  }
  return { firstMs: totals[0]! / rounds, secondMs: totals[1]! / rounds, secondWon, records, findings, units: rounds };
}

/**
 * --per-record: both sides evaluate each record in turn, the first one alternating; per side, the sum over the records of
 * the median time of that record's evaluations. --per-chunk: the same for each chunk's records evaluated together, as
 * bench:sigma evaluates them. `secondWon` counts the records (chunks) on which the side set up second was faster.
 */
async function medianPerUnit(
  sides: WindowsBench[],
  reader: EvtxReader,
  samples: readonly Uint8Array[],
  byChunk: boolean,
): Promise<Pick<OrderResult, "firstMs" | "secondMs" | "secondWon" | "units">> {
  const unitsOf = (chunk: unknown[]) => (byChunk ? [chunk] : chunk.map((record) => [record]));
  let units = 0;
  for (const bytes of samples) for await (const chunk of reader(bytes)) units += unitsOf(chunk).length;
  const passes = rounds * PASSES_PER_BLOCK;
  const times = [new Float64Array(units * passes), new Float64Array(units * passes)];
  let turn = 0;
  for (let pass = 0; pass < passes; pass++) {
    let unit = 0;
    for (const bytes of samples) {
      for await (const chunk of reader(bytes)) {
        for (const records of unitsOf(chunk)) {
          turn ^= 1;
          for (const s of turn === 0 ? [0, 1] : [1, 0]) {
            const started = performance.now();
            for (const record of records) evaluate(sides[s]!, record);
            times[s]![unit * passes + pass] = performance.now() - started;
          }
          unit++;
        }
      }
    }
  }
  const medians = times.map((all) => Array.from({ length: units }, (_, unit) => all.slice(unit * passes, (unit + 1) * passes).sort()[passes >> 1]!));
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return { firstMs: sum(medians[0]!), secondMs: sum(medians[1]!), secondWon: medians[1]!.filter((ms, unit) => ms < medians[0]![unit]!).length, units };
}

if (process.argv[2] === "--order") {
  console.log(JSON.stringify(await measureOrder(process.argv[3]!, process.argv[4]!)));
} else {
  const base = argument("--base") ?? "HEAD";
  const change = argument("--change") ?? "worktree";
  if (!Number.isInteger(rounds) || rounds < 2) {
    console.error("--rounds needs a whole number of at least 2");
    process.exit(2);
  }
  await requireDirectory(rulesDir, "bench:sigma:ab: the rule directory");
  await requireDirectory(samplesDir, "bench:sigma:ab: the sample directory");
  let baseIndex: string;
  let changeIndex: string;
  try {
    baseIndex = await copyOf(base, "base");
    changeIndex = await copyOf(change, "change");
  } catch (error) {
    await rm(copiesDir, { recursive: true, force: true });
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench:sigma:ab: ${error.message}`);
    process.exit(2);
  }
  const runOrder = (first: string, second: string): OrderResult => {
    const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--order", first, second, "--rounds", String(rounds), "--rules", rulesDir, "--samples", samplesDir];
    if (perRecord) args.push("--per-record");
    if (perChunk) args.push("--per-chunk");
    const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    if (child.status !== 0) throw new Error(`measuring ${first} then ${second} failed:\n${child.stderr}`);
    return JSON.parse(child.stdout.trim().split("\n").pop()!) as OrderResult;
  };
  const baseFirst = runOrder(baseIndex, changeIndex);
  const changeFirst = runOrder(changeIndex, baseIndex);
  await rm(copiesDir, { recursive: true, force: true });
  const fmt = (ms: number) => `${ms >= 0 ? "+" : "−"}${Math.abs(ms).toFixed(3)}`;
  const inBaseFirst = baseFirst.secondMs - baseFirst.firstMs;
  const inChangeFirst = changeFirst.firstMs - changeFirst.secondMs;
  console.log(`base ${base}: ${baseFirst.firstMs.toFixed(3)} and ${changeFirst.secondMs.toFixed(3)} ms per pass; change ${change}: ${baseFirst.secondMs.toFixed(3)} and ${changeFirst.firstMs.toFixed(3)}`);
  const of = perRecord ? `records the change was faster on` : perChunk ? `chunks the change was faster on` : `rounds the change won`;
  const total = baseFirst.units;
  console.log(`${of}: ${baseFirst.secondWon} of ${total} set up second, ${total - changeFirst.secondWon} of ${total} set up first`);
  if (baseFirst.findings[0] !== baseFirst.findings[1]) console.log(`findings per pass differ: base ${baseFirst.findings[0]}, change ${baseFirst.findings[1]}`);
  console.log(
    `sigma-ab: change − base = ${fmt((inBaseFirst + inChangeFirst) / 2)} ms per pass of ${baseFirst.records} records (${fmt(inBaseFirst)} base first, ${fmt(inChangeFirst)} change first)`,
  );
}
