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
const evs = records.flatMap((r) => normalizeRecord(r, mapping));
for (let i = 0; i < 3; i++) for (const r of records) for (const e of normalizeRecord(r, mapping)) engine.match(e);
const per = evs.map((e0, idx) => { const r = records[idx]; const t = performance.now(); for (let i = 0; i < 20; i++) for (const e of normalizeRecord(r, mapping)) engine.match(e); return [(performance.now() - t) * 1000 / 20, e0.logsource.categories.join(","), String(e0.value("eventid")), String(e0.value("commandline") ?? e0.value("scriptblocktext") ?? "").length] as const; });
per.sort((a, b) => b[0] - a[0]);
console.log("total us per pass", per.reduce((a, c) => a + c[0], 0).toFixed(0), "events", per.length);
console.log(per.slice(0, 15).map((p) => p.map(String).join(" ")).join("\n"));
const worst = evs.sort((a, b) => String(b.value("commandline") ?? "").length - String(a.value("commandline") ?? "").length).slice(0, 2);
for (const e of worst) {
  const costs = rules.filter((r) => r.logsource.category === "process_creation").map((r) => { const t = performance.now(); for (let i = 0; i < 5; i++) r.detection.test(e); return [(performance.now() - t) / 5, r.origin.file.split("/").pop()] as const; }).sort((a, b) => b[0] - a[0]);
  console.log(costs.slice(0, 6).map((c) => c[0].toFixed(3) + " " + c[1]).join("\n"));
}
