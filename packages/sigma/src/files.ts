/**
 * Node-only helpers: read rule files and the specification schemas from disk. `node:fs` is imported lazily
 * so bundling the package for a browser or service worker does not pull it in.
 */
import { SigmaRuleError } from "./errors.ts";
import { parseSigmaRules, type LoadOptions, type SigmaRule, type SigmaSchemas } from "./rules.ts";
import type { JsonSchema } from "./schema.ts";

export interface DirectoryLoad {
  rules: SigmaRule[];
  errors: SigmaRuleError[];
  /** Rule documents found (loaded + rejected). */
  total: number;
  files: string[];
}

/** Lists YAML files below `root`, sorted; folders starting with `_` or `.` hold specification or reference material and are skipped. */
export async function listRuleFiles(root: string): Promise<string[]> {
  return (await findRuleFiles(root)).files;
}

/**
 * The rule files below `root`, and the folders below it that could not be read (each one an error, the rest still
 * listed). A `root` that cannot be read is an error of the caller's: a SigmaRuleError naming it.
 */
async function findRuleFiles(root: string): Promise<{ files: string[]; unreadable: SigmaRuleError[] }> {
  const { readdir, stat } = await import("node:fs/promises");
  const { join } = await import("node:path");
  let isFile: boolean;
  try {
    isFile = (await stat(root)).isFile();
  } catch (error) {
    throw new SigmaRuleError({ file: root }, `cannot read the rule directory: ${(error as Error).message}`);
  }
  if (isFile) return { files: [root], unreadable: [] };
  const files: string[] = [];
  const unreadable: SigmaRuleError[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) throw new SigmaRuleError({ file: root }, `cannot read the rule directory: ${(error as Error).message}`);
      unreadable.push(new SigmaRuleError({ file: dir }, `cannot read this folder: ${(error as Error).message}`));
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.ya?ml$/i.test(entry.name)) files.push(path);
    }
  };
  await walk(root);
  return { files, unreadable };
}

/**
 * Loads every rule under `root`; an unreadable or invalid file (or folder) is reported and the rest still load. A root
 * that cannot be read rejects with a SigmaRuleError.
 */
export async function loadRuleDirectory(root: string, options: LoadOptions = {}): Promise<DirectoryLoad> {
  const { readFile } = await import("node:fs/promises");
  const { files, unreadable } = await findRuleFiles(root);
  const result: DirectoryLoad = { rules: [], errors: [...unreadable], total: 0, files };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      result.errors.push(new SigmaRuleError({ file }, `cannot read: ${(error as Error).message}`));
      result.total++;
      continue;
    }
    const parsed = parseSigmaRules(text, file, options);
    result.rules.push(...parsed.rules);
    result.errors.push(...parsed.errors);
    result.total += parsed.rules.length + parsed.rejected;
  }
  return result;
}

/** Reads the specification's JSON schemas (sigma-detection-rule, sigma-correlation-rules, sigma-filters) from a folder. */
export async function loadSigmaSchemas(dir: string): Promise<SigmaSchemas> {
  const { readFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const read = async (name: string) => JSON.parse(await readFile(join(dir, name), "utf8")) as JsonSchema;
  return {
    detection: await read("sigma-detection-rule-schema.json"),
    correlation: await read("sigma-correlation-rules-schema.json"),
    filter: await read("sigma-filters-schema.json"),
  };
}
