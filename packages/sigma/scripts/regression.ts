/**
 * SigmaHQ-style regression cases: a folder with info.yml, the rule(s) under rule/ and the events beside them
 * (.evtx, its .json twin, or .raw lines). Shared by the eval script and the tests.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { guessMapping, loadRuleDirectory, normalizeRecord, SigmaEngine, SigmaEvent, type DetectionRule, type LogSourceMapping, type SigmaRule } from "../src/index.ts";
import { readRecords, type EvtxReader, type RecordBatch } from "./event-sources.ts";

export async function walk(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path, accept)));
    else if (accept(entry.name)) found.push(path);
  }
  return found;
}

/** Records without a known envelope (raw lines, unknown JSON) take the log source of the rule under test. */
export function toEvents(record: unknown, mapping: LogSourceMapping | undefined, fallback: DetectionRule | undefined): SigmaEvent[] {
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

export interface CaseResult {
  name: string;
  detected: boolean;
  matches: number;
  expected?: number;
  via: string;
  note?: string;
}

export async function runCase(infoFile: string, root: string, evtx: EvtxReader | undefined): Promise<CaseResult> {
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

/** Every info.yml below `root`, sorted. */
export function findCases(root: string): Promise<string[]> {
  return walk(root, (name) => name === "info.yml");
}
