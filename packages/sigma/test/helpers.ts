import { resolve } from "node:path";
import { parseSigmaRules, SigmaEngine, SigmaEvent, type SigmaRule } from "../src/index.ts";

const repoRoot = resolve(import.meta.dirname, "../../..");
export const corpora = resolve(repoRoot, "../shared/corpora");

/** Parses YAML that must hold valid rules; fails the test with the loader's reasons otherwise. */
export function rulesFrom(yaml: string, placeholders?: Record<string, string[]>): SigmaRule[] {
  const parsed = parseSigmaRules(yaml, "inline.yml", { placeholders });
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((e) => e.message).join("\n"));
  return parsed.rules;
}

/** Builds a one-selection rule from a detection body (indented YAML under `detection:`). */
export function detectionRule(detection: string, placeholders?: Record<string, string[]>): SigmaRule {
  const yaml = `title: test rule\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n  product: test\ndetection:\n${detection}\nlevel: high\n`;
  return rulesFrom(yaml, placeholders)[0]!;
}

export function testEvent(fields: Record<string, unknown>): SigmaEvent {
  return SigmaEvent.fromFields(fields, { product: "test", services: [], categories: [] });
}

/** True when the detection matches the event. */
export function matches(detection: string, fields: Record<string, unknown>, placeholders?: Record<string, string[]>): boolean {
  return new SigmaEngine([detectionRule(detection, placeholders)]).match(testEvent(fields)).length > 0;
}

/** The loader's error messages for a detection body. */
export function compileErrors(detection: string): string[] {
  const yaml = `title: test rule\nlogsource:\n  product: test\ndetection:\n${detection}\n`;
  return parseSigmaRules(yaml, "inline.yml").errors.map((e) => e.message);
}
