/**
 * What the Sigma benchmarks measure: the EVTX sample files, and every Windows detection rule of a rule directory
 * compiled by a given copy of the engine (the working tree's, or a copy of another version for bench:sigma:ab).
 */
import { readFile } from "node:fs/promises";
import type * as Sigma from "../src/index.ts";
import { loadGramScanner } from "./event-sources.ts";
import { walk } from "./regression.ts";

export function readEvtxSamples(dir: string): Promise<Buffer[]> {
  return walk(dir, (name) => name.toLowerCase().endsWith(".evtx")).then((files) => Promise.all(files.map((file) => readFile(file))));
}

export interface WindowsBench {
  engine: Sigma.SigmaEngine;
  mapping: Sigma.LogSourceMapping;
  normalize: typeof Sigma.normalizeRecord;
  windowsRules: number;
  loadedRules: number;
}

/** The engine is given the gram scanner of @corvid/wasm, as eval:sigma gives it; an older copy of the engine ignores it. */
export async function windowsBench(sigma: typeof Sigma, rulesDir: string): Promise<WindowsBench> {
  const loaded = await sigma.loadRuleDirectory(rulesDir);
  const rules = loaded.rules.filter((r): r is Sigma.DetectionRule => r.kind === "detection" && r.logsource.product === "windows");
  const { gramScanner, problem } = await loadGramScanner();
  if (!gramScanner) throw new Error(`the Sigma benchmarks need the WASM gram scanner (npm run build:wasm): ${problem}`);
  return {
    engine: new sigma.SigmaEngine(rules, { gramScanner }),
    mapping: sigma.builtinMapping("windows"),
    normalize: sigma.normalizeRecord,
    windowsRules: rules.length,
    loadedRules: loaded.rules.length,
  };
}
