import { describe, expect, it } from "vitest";
import { parseCondition, SigmaEngine } from "../src/index.ts";
import { compileErrors, detectionRule, matches, testEvent } from "./helpers.ts";

const identifiers = `  sel_a:
    A: 1
  sel_b:
    B: 1
  filter_x:
    X: 1
  _hidden:
    H: 1
`;
const check = (condition: string, fields: Record<string, unknown>) => matches(`${identifiers}  condition: ${condition}`, fields);

describe("condition grammar", () => {
  it("and, or, not", () => {
    expect(check("sel_a and sel_b", { A: 1, B: 1 })).toBe(true);
    expect(check("sel_a and sel_b", { A: 1 })).toBe(false);
    expect(check("sel_a or sel_b", { B: 1 })).toBe(true);
    expect(check("sel_a and not filter_x", { A: 1 })).toBe(true);
    expect(check("sel_a and not filter_x", { A: 1, X: 1 })).toBe(false);
    expect(check("not sel_a", {})).toBe(true);
  });
  it("binds not tighter than and, and tighter than or; parentheses override", () => {
    expect(check("sel_a or sel_b and filter_x", { A: 1 })).toBe(true);
    expect(check("(sel_a or sel_b) and filter_x", { A: 1 })).toBe(false);
    expect(check("not sel_a and sel_b", { B: 1 })).toBe(true);
    expect(check("not (sel_a and sel_b)", { A: 1, B: 1 })).toBe(false);
    expect(check("((sel_a))", { A: 1 })).toBe(true);
  });
  it("1 of and all of with patterns", () => {
    expect(check("1 of sel_*", { B: 1 })).toBe(true);
    expect(check("all of sel_*", { B: 1 })).toBe(false);
    expect(check("all of sel_*", { A: 1, B: 1 })).toBe(true);
    expect(check("1 of sel_* and not 1 of filter_*", { A: 1, X: 1 })).toBe(false);
    expect(check("any of sel_*", { A: 1 })).toBe(true);
  });
  it("1 of them and all of them skip identifiers starting with an underscore", () => {
    expect(check("1 of them", { H: 1 })).toBe(false);
    expect(check("1 of them", { X: 1 })).toBe(true);
    expect(check("all of them", { A: 1, B: 1, X: 1 })).toBe(true);
    expect(check("all of them", { A: 1, B: 1 })).toBe(false);
  });
  it("is case-insensitive for operators", () => {
    expect(check("sel_a AND NOT filter_x", { A: 1 })).toBe(true);
  });
  it("accepts a list of conditions as alternatives", () => {
    expect(matches(`${identifiers}  condition:\n    - sel_a\n    - sel_b`, { B: 1 })).toBe(true);
  });
  it("parses into a tree", () => {
    expect(parseCondition("a or b and not c")).toEqual({
      kind: "or",
      children: [{ kind: "ref", name: "a" }, { kind: "and", children: [{ kind: "ref", name: "b" }, { kind: "not", child: { kind: "ref", name: "c" } }] }],
    });
  });
  it("explains malformed conditions", () => {
    expect(compileErrors(`${identifiers}  condition: sel_a and`)[0]).toMatch(/ends unexpectedly/);
    expect(compileErrors(`${identifiers}  condition: (sel_a`)[0]).toMatch(/missing closing parenthesis/);
    expect(compileErrors(`${identifiers}  condition: sel_c`)[0]).toMatch(/undefined search identifier "sel_c"/);
    expect(compileErrors(`${identifiers}  condition: 1 of nothing_*`)[0]).toMatch(/matches no search identifier/);
    expect(compileErrors(`${identifiers}  condition: sel_a | count() > 5`)[0]).toMatch(/use a correlation rule/);
    expect(compileErrors(`${identifiers}  condition: sel_a sel_b`)[0]).toMatch(/unexpected "sel_b"/);
  });
  it("reports which selections matched", () => {
    const rule = detectionRule(`${identifiers}  condition: (sel_a or sel_b) and not filter_x`);
    const [finding] = new SigmaEngine([rule]).match(testEvent({ A: 1, B: 1 }));
    expect(finding?.matchedSelections).toEqual(["sel_a", "sel_b"]);
    expect(finding?.level).toBe("high");
  });
  it("reports selections the condition skipped, and does not carry results from one event to the next", () => {
    const engine = new SigmaEngine([detectionRule(`${identifiers}  condition: 1 of sel_* and not filter_x`)]);
    const selections = (fields: Record<string, unknown>) => engine.match(testEvent(fields)).map((finding) => finding.matchedSelections);
    // `1 of sel_*` stops at sel_a; listing the matched selections still tests sel_b.
    expect(selections({ A: 1, B: 1 })).toEqual([["sel_a", "sel_b"]]);
    expect(selections({ B: 1 })).toEqual([["sel_b"]]);
    expect(selections({ A: 1, X: 1 })).toEqual([]);
    const first = testEvent({ A: 1 });
    const second = testEvent({ B: 1 });
    expect(engine.match(second).map((finding) => finding.matchedSelections)).toEqual([["sel_b"]]);
    // The same event again after another one: its own results, not the other event's.
    expect(engine.match(first).map((finding) => finding.matchedSelections)).toEqual([["sel_a"]]);
    expect(engine.match(second).map((finding) => finding.matchedSelections)).toEqual([["sel_b"]]);
  });
});
