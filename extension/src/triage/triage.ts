import type { TimelineEvent } from "@corvid/protocol";
import { builtinMapping, normalizeRecord, parseSigmaRules, SigmaEngine, type SigmaRule } from "@corvid/sigma";
import type { Row } from "../collectors/types.ts";
import { downloadEvents, extensionEvents, firstVisitByDomain, visitEvents } from "./events.ts";

/** The shipped browser rule set; a task may bring its own rules instead. */
const shippedRuleFiles = import.meta.glob<string>("./rules/*.yml", { query: "?raw", import: "default", eager: true });

export class TriageRuleError extends Error {
  override name = "TriageRuleError";
}

/** Parses rule documents; any rule that does not load is an error the analyst must see, not a silent skip. */
export function loadRules(files: Record<string, string>): SigmaRule[] {
  const rules: SigmaRule[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseSigmaRules(text, file);
    if (parsed.errors.length > 0) throw new TriageRuleError(`${file}: ${parsed.errors.map((error) => error.message).join("; ")}`);
    rules.push(...parsed.rules);
  }
  if (rules.length === 0) throw new TriageRuleError("no Sigma rules to run");
  return rules;
}

export function shippedRules(): SigmaRule[] {
  return loadRules(shippedRuleFiles);
}

export interface BrowserArtifacts {
  history: readonly Row[];
  downloads: readonly Row[];
  extensions: readonly Row[];
  observedAt: string;
}

/** Normalized browser events: visits, downloads (with the domain-first-seen label), installed extensions. */
export function browserEvents(artifacts: BrowserArtifacts): TimelineEvent[] {
  return [
    ...visitEvents(artifacts.history),
    ...downloadEvents(artifacts.downloads, firstVisitByDomain(artifacts.history)),
    ...extensionEvents(artifacts.extensions, artifacts.observedAt),
  ];
}

/** One row per finding, in the Browser.Triage columns. */
export function runTriage(events: readonly TimelineEvent[], rules: readonly SigmaRule[]): Row[] {
  const engine = new SigmaEngine(rules);
  const mapping = builtinMapping("corvid-browser");
  const rows: Row[] = [];
  for (const record of events) {
    for (const event of normalizeRecord(record, mapping)) {
      for (const finding of engine.process(event)) {
        rows.push({
          rule_id: finding.ruleId ?? null,
          title: finding.title,
          level: finding.level ?? null,
          tags: finding.tags,
          event_time: record["@timestamp"],
          event_action: record.event.action ?? null,
          subject: record.url?.full ?? record.labels?.extension_id ?? record.file?.path ?? null,
          event: record,
        });
      }
    }
  }
  return rows;
}
