// Helpers for the LNK/REGF corpus tests: corpus location and plaso's Python-literal expected strings.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const artifactsDir = resolve(repoRoot, "../shared/corpora/windows-artifacts");
export const corpusPresent = existsSync(artifactsDir);

export function listFiles(dir: string, accept: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "expected" ? [] : listFiles(path, accept);
    return accept(path) ? [path] : [];
  });
}

/**
 * plaso's expected values were lifted from Python source, so strings still carry Python escapes
 * (`\\\\` for one backslash, `\\U0000d800` for a lone surrogate). Decode them like Python would.
 */
export function pythonLiteral(text: string): string {
  return text.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\\|'|")/g, (_, escape: string) => {
    if (escape === "\\" || escape === "'" || escape === '"') return escape;
    const code = Number.parseInt(escape.slice(1), 16);
    return code > 0xffff ? String.fromCodePoint(code) : String.fromCharCode(code);
  });
}

/** plaso writes "+00:00" and drops fractions the source does not have; Corvid writes "Z". */
export function sameInstant(actual: string | null | undefined, expected: string): boolean {
  const strip = (value: string) => value.replace(/(\+00:00|Z)$/, "");
  return actual != null && strip(actual) === strip(expected);
}
