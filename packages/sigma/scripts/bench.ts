/**
 * Throughput of Sigma evaluation on real EVTX data: the EVTX attack samples, parsed by @corvid/wasm and
 * repeated until at least 200,000 events, measured in three interleaved rounds of parse alone and of parse +
 * evaluation of every Windows rule of the corpus. The best round of each counts; every round's time is printed too.
 * Records are evaluated chunk by chunk, as eval:sigma does: each EVTX chunk is parsed, then its records evaluated.
 * Ends with `sigma: E events/s with R rules, overhead ratio X`, X = (parse + evaluate time) / (parse time).
 * With --breakdown, first prints where evaluation time goes by kind of record (channel and EventID), timed per
 * record in one more pass with parsing interleaved as above.
 * Usage: npm run bench:sigma [-- --rules DIR --samples DIR --events N --breakdown]
 */
import { join, resolve } from "node:path";
import * as sigma from "../src/index.ts";
import { argument, requireDirectory } from "./arguments.ts";
import { loadEvtxReader } from "./event-sources.ts";
import { readEvtxSamples, windowsBench } from "./windows-bench.ts";

const corpora = resolve(process.cwd(), "../shared/corpora");
const rulesDir = argument("--rules") ?? join(corpora, "sigma-rules");
const samplesDir = argument("--samples") ?? join(corpora, "evtx-attack-samples");
const minimumEvents = Number(argument("--events") ?? "200000");
await requireDirectory(rulesDir, "bench:sigma: the rule directory");
await requireDirectory(samplesDir, "bench:sigma: the sample directory");

const { reader, problem } = await loadEvtxReader();
if (!reader) {
  console.error(`bench:sigma needs the WASM EVTX parser (npm run build:wasm): ${problem}`);
  process.exit(1);
}
const { engine, mapping, normalize, windowsRules, loadedRules } = await windowsBench(sigma, rulesDir);
const samples = await readEvtxSamples(samplesDir);

async function pass(evaluate: boolean): Promise<{ events: number; findings: number }> {
  let events = 0;
  let findings = 0;
  for (const bytes of samples) {
    for await (const records of reader!(bytes)) {
      events += records.length;
      if (!evaluate) continue;
      for (const record of records) for (const event of normalize(record, mapping)) findings += engine.match(event).length;
    }
  }
  return { events, findings };
}

const perPass = (await pass(false)).events;
if (perPass === 0) {
  console.error(`no EVTX records under ${samplesDir}`);
  process.exit(1);
}
const repetitions = Math.ceil(minimumEvents / perPass);

async function measure(evaluate: boolean): Promise<{ ms: number; events: number; findings: number }> {
  const started = performance.now();
  let events = 0;
  let findings = 0;
  for (let i = 0; i < repetitions; i++) {
    const result = await pass(evaluate);
    events += result.events;
    findings += result.findings;
  }
  return { ms: performance.now() - started, events, findings };
}

// Warm both paths once so the JIT state is comparable, then measure; best of three rounds each, interleaved.
await pass(true);
const parseRounds: number[] = [];
const fullRounds: number[] = [];
let last = { ms: 0, events: 0, findings: 0 };
for (let round = 0; round < 3; round++) {
  parseRounds.push((await measure(false)).ms);
  last = await measure(true);
  fullRounds.push(last.ms);
}
const parseMs = Math.min(...parseRounds);
const fullMs = Math.min(...fullRounds);
if (process.argv.includes("--breakdown")) await breakdown();

/** Evaluation time per kind of record (channel/EventID), biggest share first. */
async function breakdown(): Promise<void> {
  const kinds = new Map<string, { records: number; ms: number }>();
  let totalMs = 0;
  for (let i = 0; i < repetitions; i++) {
    for (const bytes of samples) {
      for await (const records of reader!(bytes)) {
        for (const record of records) {
          const started = performance.now();
          let kind = "(no event)";
          for (const event of normalize(record, mapping)) {
            kind = `${event.logsource.services.join(",") || "-"}/${String(event.value("eventid"))}`;
            engine.match(event);
          }
          const ms = performance.now() - started;
          totalMs += ms;
          const entry = kinds.get(kind) ?? { records: 0, ms: 0 };
          entry.records++;
          entry.ms += ms;
          kinds.set(kind, entry);
        }
      }
    }
  }
  console.log(`evaluation by kind of record (normalize + match, ${((totalMs * 1000) / (perPass * repetitions)).toFixed(1)} µs per record on average):`);
  for (const [kind, { records, ms }] of [...kinds].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    const share = ((ms / totalMs) * 100).toFixed(1);
    console.log(`  ${kind.padEnd(32)} ${String(records / repetitions).padStart(5)} per pass  ${((ms * 1000) / records).toFixed(1).padStart(6)} µs each  ${share.padStart(5)} %`);
  }
}

const eventsPerSecond = Math.round(last.events / (fullMs / 1000));
console.log(`samples: ${samples.length} EVTX files, ${perPass} records per pass, ${repetitions} passes, ${last.events} events`);
console.log(`rules: ${windowsRules} Windows rules (of ${loadedRules} loaded), ${last.findings / repetitions} findings per pass`);
// Each round's figures too: on a shared VM they show how far the host's load moved them.
const rounded = (rounds: number[]) => rounds.map((ms) => ms.toFixed(0)).join(", ");
console.log(`rounds (ms): parse only ${rounded(parseRounds)}; parse + evaluate ${rounded(fullRounds)}`);
console.log(`parse only: ${parseMs.toFixed(0)} ms (${Math.round(last.events / (parseMs / 1000))} events/s); parse + evaluate: ${fullMs.toFixed(0)} ms`);
console.log(`sigma: ${eventsPerSecond} events/s with ${windowsRules} rules, overhead ratio ${(fullMs / parseMs).toFixed(2)}`);
