/**
 * Sigma evaluation on real data.
 *   npm run eval:sigma -- --regression DIR [--json]
 *                                            run SigmaHQ-style regression cases (info.yml + rule/ + events);
 *                                            last line `sigma-regression: detected N of M`; --json skips the EVTX parser
 *   npm run eval:sigma -- --rules DIR --events DIR [--source MAPPING]
 *                                            print findings as JSON Lines, one per finding, with the file
 * Regression events come from the .evtx through the WASM parser when it loads (else from the JSON beside it).
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  builtinMapping,
  guessMapping,
  loadRuleDirectory,
  normalizeRecord,
  SigmaEngine,
  SigmaEvent,
  type DetectionRule,
  type LogSourceMapping,
  type SigmaRule,
} from "../src/index.ts";
import { loadEvtxReader, readRecords, type EvtxReader, type RecordBatch } from "./event-sources.ts";

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function walk(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path, accept)));
    else if (accept(entry.name)) found.push(path);
  }
  return found;
}

/** Records without a known envelope (raw lines, unknown JSON) take the log source of the rule under test. */
function toEvents(record: unknown, mapping: LogSourceMapping | undefined, fallback: DetectionRule | undefined): SigmaEvent[] {
  const chosen = mapping ?? guessMapping(record);
  if (chosen && !(typeof record === "string" && fallback)) return normalizeRecord(record, chosen);
  const fields = typeof record === "string" ? { message: record } : (record as Record<string, unknown>);
  const logsource = fallback?.logsource ?? {};
  return [
    SigmaEvent.fromFields(fields, {
      product: logsource.product,
      services: logsource.service ? [logsource.service] : [],
      categories: logsource.category ? [logsource.category] : [],
    }),
  ];
}

interface CaseResult {
  name: string;
  detected: boolean;
  matches: number;
  expected?: number;
  via: string;
  note?: string;
}

async function runCase(infoFile: string, root: string, evtx: EvtxReader | undefined): Promise<CaseResult> {
  const caseDir = dirname(infoFile);
  const name = relative(root, caseDir);
  const info = (parseYaml(await readFile(infoFile, "utf8")) ?? {}) as Record<string, unknown>;
  const tests = Array.isArray(info["regression_tests_info"]) ? (info["regression_tests_info"] as Record<string, unknown>[]) : [];
  const expected = typeof tests[0]?.["match_count"] === "number" ? (tests[0]["match_count"] as number) : undefined;
  const ruleIds = new Set(
    (Array.isArray(info["rule_metadata"]) ? (info["rule_metadata"] as Record<string, unknown>[]) : []).map((m) => String(m["id"])),
  );

  const loaded = await loadRuleDirectory(join(caseDir, "rule"));
  if (loaded.errors.length > 0) return { name, detected: false, matches: 0, expected, via: "-", note: loaded.errors.map((e) => e.message).join("; ") };
  const rules: SigmaRule[] = loaded.rules;
  const underTest = rules.find((r): r is DetectionRule => r.kind === "detection" && (ruleIds.size === 0 || ruleIds.has(r.meta.id ?? "")));

  // Prefer the .evtx (through the parser); fall back to the JSON twin only where no .evtx can be read.
  const files = (await readdir(caseDir)).filter((f) => /\.(evtx|json|raw)$/i.test(f)).sort();
  const batches: RecordBatch[] = [];
  for (const file of files) {
    const stem = file.replace(/\.[^.]+$/, "");
    const isJsonTwin = file.toLowerCase().endsWith(".json") && files.includes(`${stem}.evtx`);
    if (isJsonTwin && evtx) continue;
    const batch = await readRecords(join(caseDir, file), file.toLowerCase().endsWith(".evtx") ? evtx : undefined);
    if (batch) batches.push(batch);
  }
  const engine = new SigmaEngine(rules);
  let matches = 0;
  for (const batch of batches) {
    for (const record of batch.records) {
      for (const event of toEvents(record, undefined, underTest)) {
        matches += engine.process(event).filter((f) => ruleIds.size === 0 || ruleIds.has(f.ruleId ?? "")).length;
      }
    }
  }
  const via = [...new Set(batches.map((b) => b.via))].join("+") || "no events";
  const failures = batches.reduce((n, b) => n + b.failures, 0);
  // The ground truth is that the rule fires; match_count is reported beside it (some cases' events hold more
  // matching records than their match_count says, e.g. several writes of the same AnyDesk config file).
  const notes = [
    ...(failures > 0 ? [`${failures} unreadable records`] : []),
    ...(expected !== undefined && matches > 0 && matches !== expected ? [`info.yml match_count is ${expected}`] : []),
  ];
  return { name, detected: matches > 0, matches, expected, via, note: notes.join("; ") || undefined };
}

async function runRegression(root: string, jsonOnly: boolean): Promise<void> {
  const { reader, problem } = jsonOnly ? { reader: undefined, problem: "--json given" } : await loadEvtxReader();
  console.log(reader ? "events: .evtx through @corvid/wasm parseEvtx (JSON only where no .evtx)" : `events: JSON (EVTX parser unavailable: ${problem})`);
  const infos = await walk(root, (name) => name === "info.yml");
  let detected = 0;
  for (const info of infos) {
    const result = await runCase(info, root, reader);
    if (result.detected) detected++;
    console.log(`${result.detected ? "ok  " : "MISS"} ${result.name}: ${result.matches} matches via ${result.via}${result.note ? ` (${result.note})` : ""}`);
  }
  console.log(`sigma-regression: detected ${detected} of ${infos.length}`);
}

async function runAdHoc(rulesDir: string, eventsDir: string, sourceName: string | undefined): Promise<void> {
  const loaded = await loadRuleDirectory(rulesDir);
  for (const error of loaded.errors) console.error(`rule not loaded: ${error.message}`);
  const engine = new SigmaEngine(loaded.rules);
  const mapping = sourceName ? builtinMapping(sourceName) : undefined;
  const { reader, problem } = await loadEvtxReader();
  if (!reader) console.error(`EVTX parser unavailable (${problem}); .evtx files are skipped`);
  const files = await walk(eventsDir, (name) => !name.startsWith("."));
  let total = 0;
  for (const file of files) {
    const batch = await readRecords(file, reader).catch((error: Error) => {
      console.error(`${file}: ${error.message}`);
      return undefined;
    });
    if (!batch) continue;
    for (const record of batch.records) {
      for (const event of toEvents(record, mapping, undefined)) {
        for (const finding of engine.process(event)) {
          total++;
          process.stdout.write(`${JSON.stringify({ eventFile: relative(eventsDir, file), ...finding })}\n`);
        }
      }
    }
  }
  console.error(`sigma: ${total} findings from ${files.length} files (${basename(eventsDir)}) with ${engine.detectionRules.length} rules`);
}

const regression = argument("--regression");
const rulesDir = argument("--rules");
const eventsDir = argument("--events");
if (regression) await runRegression(regression, process.argv.includes("--json"));
else if (rulesDir && eventsDir) await runAdHoc(rulesDir, eventsDir, argument("--source"));
else {
  console.error("usage: eval --regression DIR | --rules DIR --events DIR [--source MAPPING]");
  process.exit(2);
}
