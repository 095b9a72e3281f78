import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseEvtx } from "@corvid/wasm";
import { builtinMapping, loadRuleDirectory, normalizeRecord, SigmaEngine, type DetectionRule } from "../src/index.ts";
const dir = "../shared/corpora/evtx-attack-samples";
async function files(d: string): Promise<string[]> { const out: string[] = []; for (const e of await readdir(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) out.push(...await files(p)); else if (p.endsWith(".evtx")) out.push(p); } return out; }
const loaded = await loadRuleDirectory("../shared/corpora/sigma-rules");
const rules = loaded.rules.filter((r): r is DetectionRule => r.kind === "detection" && r.logsource.product === "windows");
const engine = new SigmaEngine(rules);
const mapping = builtinMapping("windows");
const records: unknown[] = [];
for (const f of await files(dir)) for await (const item of parseEvtx(await readFile(f), { format: "object" })) if (item.ok) records.push(item.record);
const t = performance.now();
for (let i = 0; i < 100; i++) for (const r of records) for (const e of normalizeRecord(r, mapping)) engine.match(e);
console.log("us/event", (performance.now() - t) * 1000 / 100 / records.length);
