/**
 * Loads every Sigma rule under a directory, validating against the specification's JSON schemas, and explains each failure.
 * Usage: npm run eval:sigma:load -- DIR [--schemas SCHEMA_DIR]
 * The schemas default to DIR/_spec/json-schema when that folder exists. Last line: `sigma-load: L of N rules loaded`.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { loadRuleDirectory, loadSigmaSchemas, SigmaRuleError } from "../src/index.ts";
import { argument } from "./arguments.ts";

const root = process.argv.slice(2).find((arg, i, all) => !arg.startsWith("--") && all[i - 1] !== "--schemas");
if (!root) {
  console.error("usage: eval-load DIR [--schemas SCHEMA_DIR]");
  process.exit(2);
}
const schemaDir = argument("--schemas") ?? join(root, "_spec", "json-schema");
const schemas = existsSync(schemaDir) ? await loadSigmaSchemas(schemaDir) : undefined;
console.log(schemas ? `schemas: ${schemaDir}` : `schemas: none found at ${schemaDir}; checking the Sigma structure only`);

const started = performance.now();
// A root that cannot be read (the rest report their own failures) ends here with the reason.
const result = await loadRuleDirectory(root, { schemas }).catch((error: unknown) => {
  if (!(error instanceof SigmaRuleError)) throw error;
  console.error(`eval:sigma:load: ${error.message}`);
  process.exit(2);
});
const elapsed = performance.now() - started;
for (const error of result.errors) {
  const where = `${relative(root, error.location.file)}${error.location.line === undefined ? "" : `:${error.location.line}`}`;
  console.log(`FAIL ${where}: ${error.reason}`);
}
const byKind = new Map<string, number>();
for (const rule of result.rules) byKind.set(rule.kind, (byKind.get(rule.kind) ?? 0) + 1);
console.log(`${result.files.length} files, ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ") || "no rules"}, ${elapsed.toFixed(0)} ms`);
console.log(`sigma-load: ${result.rules.length} of ${result.total} rules loaded`);
