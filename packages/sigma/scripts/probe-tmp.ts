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
for (let round = 0; round < 5; round++) {
  let t = performance.now(); let evs = 0;
  for (let i = 0; i < 20; i++) for (const r of records) { evs += normalizeRecord(r, mapping).length; }
  const norm = performance.now() - t;
  t = performance.now(); let found = 0;
  for (let i = 0; i < 20; i++) for (const r of records) for (const e of normalizeRecord(r, mapping)) found += engine.match(e).length;
  console.log(`norm ${(norm*1000/evs).toFixed(1)} us/event; norm+match ${((performance.now()-t)*1000/evs).toFixed(1)} us/event; findings ${found/20}`);
}
// per-event slowest


const slowRecord = records.map((r) => normalizeRecord(r, mapping)[0]!).filter((e) => e.value("eventid") === 1);
for (const rule of rules) for (const e of slowRecord) rule.detection.test(e);
const ruleCosts = rules.map((rule) => { const t = performance.now(); for (let i = 0; i < 20; i++) for (const e of slowRecord) rule.detection.test(e); return [(performance.now() - t), rule.origin.file] as const; }).sort((a, b) => b[0] - a[0]);
console.log("total ms per event", ruleCosts.reduce((a,c)=>a+c[0],0)/20/slowRecord.length, slowRecord.length); console.log(ruleCosts.slice(0, 10).map((c) => c[0].toFixed(2) + " " + c[1]).join("\n"));
const e0 = slowRecord.sort((a,b)=>String(b.value("commandline")).length-String(a.value("commandline")).length)[0]!;
console.log(String(e0.value("commandline")).length);
const pc = rules.filter((r) => r.logsource.category === "process_creation");
const noAtoms = pc.filter((r) => r.detection.atoms === undefined);
console.log("process_creation rules", pc.length, "without atoms", noAtoms.length);
console.log(noAtoms.slice(0, 15).map((r) => r.origin.file.split("/").pop()).join("\n"));
const { Prefilter } = await import("../src/prefilter.ts");
const pf = new Prefilter(pc, (r) => r.detection.atoms);
const evs = records.flatMap((r) => normalizeRecord(r, mapping)).filter((e) => e.logsource.categories.includes("process_creation"));
let cand = 0; const counts = new Map<string, number>();
for (const e of evs) { const c = pf.candidates(e); cand += c.length; for (const r of c) counts.set(r.origin.file, (counts.get(r.origin.file) ?? 0) + 1); }
console.log("avg candidates", cand / evs.length, evs.length);
console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([f, n]) => n + " " + f.split("/").pop()).join("\n"));
let t = performance.now(); for (let i = 0; i < 200; i++) for (const e of evs) pf.candidates(e); console.log("prefilter us/event", (performance.now() - t) * 1000 / 200 / evs.length);
