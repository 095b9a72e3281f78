/**
 * Sigma evaluation on real data.
 *   npm run eval:sigma -- --regression DIR [--json]
 *                                            run SigmaHQ-style regression cases (info.yml + rule/ + events);
 *                                            last line `sigma-regression: detected N of M`; --json skips the EVTX parser
 *   npm run eval:sigma -- --rules DIR --events DIR [--source MAPPING]
 *                                            print findings as JSON Lines, one per finding, with the file
 * Regression events come from the .evtx through the WASM parser when it loads (else from the JSON beside it).
 */
import { basename, relative } from "node:path";
import { builtinMapping, loadRuleDirectory, SigmaEngine } from "../src/index.ts";
import { loadEvtxReader, loadGramScanner, streamRecords } from "./event-sources.ts";
import { findCases, runCase, toEvents, walk } from "./regression.ts";
import { argument, requireDirectory } from "./arguments.ts";

async function runRegression(root: string, jsonOnly: boolean): Promise<void> {
  const { reader, problem } = jsonOnly ? { reader: undefined, problem: "--json given" } : await loadEvtxReader();
  console.log(reader ? "events: .evtx through @corvid/wasm parseEvtx (JSON only where no .evtx)" : `events: JSON (EVTX parser unavailable: ${problem})`);
  const infos = await findCases(root);
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
  const { gramScanner, problem: scannerProblem } = await loadGramScanner();
  if (!gramScanner) console.error(`gram scanner unavailable (${scannerProblem}); long command lines are read without it`);
  const engine = new SigmaEngine(loaded.rules, { gramScanner });
  const mapping = sourceName ? builtinMapping(sourceName) : undefined;
  const { reader, problem } = await loadEvtxReader();
  if (!reader) console.error(`EVTX parser unavailable (${problem}); .evtx files are skipped`);
  const files = await walk(eventsDir, (name) => /\.(evtx|json|jsonl|ndjson|log|txt|raw)$/i.test(name));
  let total = 0;
  for (const file of files) {
    try {
      // Chunk by chunk: a log of millions of records is never held in memory at once.
      for await (const batch of streamRecords(file, reader)) {
        for (const record of batch.records) {
          for (const event of toEvents(record, mapping, undefined)) {
            for (const finding of engine.process(event)) {
              total++;
              process.stdout.write(`${JSON.stringify({ eventFile: relative(eventsDir, file), ...finding })}\n`);
            }
          }
        }
      }
    } catch (error) {
      console.error(`${file}: ${(error as Error).message}`);
    }
  }
  console.error(`sigma: ${total} findings from ${files.length} files (${basename(eventsDir)}) with ${engine.detectionRules.length} rules`);
}

const regression = argument("--regression");
const rulesDir = argument("--rules");
const eventsDir = argument("--events");
if (regression) {
  await requireDirectory(regression, "eval:sigma: the regression case directory");
  await runRegression(regression, process.argv.includes("--json"));
} else if (rulesDir && eventsDir) {
  await requireDirectory(rulesDir, "eval:sigma: the rule directory");
  await requireDirectory(eventsDir, "eval:sigma: the event directory");
  await runAdHoc(rulesDir, eventsDir, argument("--source"));
}
else {
  console.error("usage: eval --regression DIR | --rules DIR --events DIR [--source MAPPING]");
  process.exit(2);
}
