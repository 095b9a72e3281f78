import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { guessMapping, loadRuleDirectory, normalizeRecord, SigmaEngine } from "../src/index.ts";
import { parseJsonValues } from "./event-sources.ts";
const root = "../shared/corpora/cloud-logs";
const loaded = await loadRuleDirectory("../shared/corpora/sigma-rules/rules/cloud");
const engine = new SigmaEngine(loaded.rules);
async function walk(d: string): Promise<string[]> { const out: string[] = []; for (const e of await readdir(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) out.push(...await walk(p)); else out.push(p); } return out; }
for (const file of await walk(join(root, "panther"))) {
  const doc = parse(await readFile(file, "utf8"));
  for (const test of doc.Tests ?? []) {
    const mapping = guessMapping(test.Log);
    const events = mapping ? normalizeRecord(test.Log, mapping) : [];
    const findings = events.flatMap((e) => engine.match(e));
    console.log(file.split("/").slice(-1)[0], doc.LogTypes, test.ExpectedResult, mapping?.name, events.map((e) => e.logsource.services.join("/")).join(","), findings.map((f) => f.title).join(" | "));
  }
}
for (const file of ["elastic/google_workspace/login/test-login.log", "elastic/google_workspace/token/test-token.log", "elastic/azure/signinlogs/test-signinlogs.log", "plaso/jsonl/microsoft_audit_log.jsonl", "plaso/jsonl/azure_activity_log.jsonl"]) {
  for (const record of parseJsonValues(await readFile(join(root, file), "utf8"))) {
    const mapping = guessMapping(record);
    const events = mapping ? normalizeRecord(record, mapping) : [];
    console.log(file, mapping?.name, events.map((e) => e.logsource.services.join("/") + ":" + e.value("eventname") + ":" + e.value("resulttype")).join(","), events.flatMap((e) => engine.match(e)).map((f) => f.title).join(" | "));
  }
}
