import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRuleDirectory, loadSigmaSchemas, parseSigmaRules, SigmaRuleError, type SigmaSchemas } from "../src/index.ts";
import { corpora } from "./helpers.ts";

const specDir = join(corpora, "sigma-rules", "_spec");
let schemas: SigmaSchemas;
let scratch: string;

beforeAll(async () => {
  schemas = await loadSigmaSchemas(join(specDir, "json-schema"));
  scratch = await mkdtemp(join(tmpdir(), "corvid-sigma-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const valid = `title: Valid
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\rar.exe'
    condition: selection
level: medium
tags:
    - attack.collection
    - attack.t1560.001
`;

describe("rule loading", () => {
  it("loads every SigmaHQ rule of the corpus with the specification schemas", async () => {
    const result = await loadRuleDirectory(join(corpora, "sigma-rules"), { schemas });
    expect(result.errors.map((e) => e.message)).toEqual([]);
    expect(result.rules.length).toBe(result.total);
    expect(result.total).toBeGreaterThan(1000);
  });

  it("accepts the specification's own example rules, filters and correlations", async () => {
    const result = await loadRuleDirectory(join(specDir, "tests", "schema"), { schemas });
    expect(result.errors.map((e) => e.message)).toEqual([]);
    const kinds = new Set(result.rules.map((r) => r.kind));
    expect(kinds).toEqual(new Set(["detection", "filter", "correlation"]));
  });

  it("reads metadata into the compiled rule", () => {
    const [rule] = parseSigmaRules(valid, "valid.yml", { schemas }).rules;
    expect(rule).toMatchObject({ kind: "detection", meta: { title: "Valid", level: "medium", status: "test", tags: ["attack.collection", "attack.t1560.001"] } });
    expect(rule?.kind === "detection" && rule.logsource).toEqual({ product: "windows", category: "process_creation", service: undefined });
  });

  it("explains schema violations with the line of the offending key", () => {
    const broken = valid.replace("status: test", "status: finished").replace("level: medium", "level: severe");
    const { errors, rules, rejected } = parseSigmaRules(broken, "broken.yml", { schemas });
    expect(rules).toHaveLength(0);
    expect(rejected).toBe(1);
    const messages = errors.map((e) => e.message);
    expect(messages).toContain('broken.yml:3: status must be one of "stable", "test", "experimental", "deprecated", "unsupported"');
    expect(messages).toContain('broken.yml:11: level must be one of "informational", "low", "medium", "high", "critical"');
  });

  it("explains missing parts, bad tags and YAML errors", () => {
    expect(parseSigmaRules("title: x\nlogsource: {product: windows}\n", "a.yml", { schemas }).errors[0]?.message).toBe('a.yml:1: rule is missing the required key "detection"');
    const badTag = parseSigmaRules(valid.replace("attack.collection", "Attack Collection"), "b.yml", { schemas });
    expect(badTag.errors[0]?.message).toMatch(/^b\.yml:13: tags\[0\] "Attack Collection" does not match the pattern/);
    const yaml = parseSigmaRules("title: x\ndetection:\n  sel: [a\n", "c.yml");
    expect(yaml.errors[0]?.message).toMatch(/^c\.yml:\d+: YAML: /);
    const dup = parseSigmaRules(valid.replace("level: medium", "level: medium\nlevel: high"), "d.yml");
    expect(dup.errors[0]?.message).toMatch(/^d\.yml:12: YAML: Map keys must be unique/);
  });

  it("keeps loading a directory after bad files and counts every rule", async () => {
    await writeFile(join(scratch, "a_good.yml"), valid);
    await writeFile(join(scratch, "b_bad_yaml.yml"), "title: [unclosed\n");
    await writeFile(join(scratch, "c_bad_modifier.yml"), valid.replace("Image|endswith", "Image|endswiht"));
    await writeFile(join(scratch, "d_good.yml"), valid.replace("6f3e2987", "7f3e2987"));
    await writeFile(join(scratch, "notes.txt"), "not a rule");
    const result = await loadRuleDirectory(scratch, { schemas });
    expect(result.rules.map((r) => r.meta.id?.slice(0, 8))).toEqual(["6f3e2987", "7f3e2987"]);
    expect(result.total).toBe(4);
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/b_bad_yaml\.yml:\d+: YAML: /),
      `${join(scratch, "c_bad_modifier.yml")}:9: detection.selection.Image|endswiht: unknown value modifier "endswiht"`,
    ]);
  });

  it("rejects a rule directory that cannot be read with an error naming it", async () => {
    const missing = join(scratch, "no-such-folder");
    await expect(loadRuleDirectory(missing)).rejects.toThrow(SigmaRuleError);
    await expect(loadRuleDirectory(missing)).rejects.toThrow(`${missing}: cannot read the rule directory: ENOENT`);
  });

  it("ends the evaluation scripts with a clear message and code 2 when a directory cannot be read", async () => {
    const missing = join(scratch, "no-such-folder");
    const file = join(scratch, "events.txt");
    await writeFile(file, "one line");
    const run = (script: string, ...args: string[]) => {
      const child = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "scripts", script), ...args], { encoding: "utf8" });
      return { status: child.status, stderr: child.stderr.trim() };
    };
    expect(run("eval.ts", "--regression", missing)).toEqual({ status: 2, stderr: `eval:sigma: the regression case directory ${missing} cannot be read (ENOENT)` });
    expect(run("eval.ts", "--rules", scratch, "--events", file)).toEqual({ status: 2, stderr: `eval:sigma: the event directory ${file} is not a directory` });
    expect(run("eval-load.ts", missing)).toEqual({ status: 2, stderr: expect.stringContaining(`eval:sigma:load: ${missing}: cannot read the rule directory: ENOENT`) });
  });

  it("merges Sigma 1 rule collections (action: global)", () => {
    const collection = `action: global
title: Collection
logsource:
    product: windows
detection:
    condition: selection
---
logsource:
    service: security
detection:
    selection:
        EventID: 4624
---
logsource:
    service: system
detection:
    selection:
        EventID: 7045
`;
    const { rules, errors } = parseSigmaRules(collection, "collection.yml");
    expect(errors).toEqual([]);
    expect(rules.map((r) => r.kind === "detection" && r.logsource.service)).toEqual(["security", "system"]);
    expect(rules[1]?.origin.line).toBe(14);
  });
});
