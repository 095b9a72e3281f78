import { describe, expect, it } from "vitest";
import { compilePattern, parseSigmaString, patternRegExp, windash, windashVariants, type Pattern } from "../src/pattern.ts";

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

describe("wildcard patterns with ? and character sets", () => {
  it("decide like the equivalent RegExp, including surrogate pairs and overlapping segments", () => {
    const next = random(7);
    const pick = (alphabet: readonly string[], length: number) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]!).join("");
    const patternAlphabet = ["a", "b", "-", "/", "?", "?", "*", "*", "😀", " "];
    const textAlphabet = ["a", "b", "-", "/", "\u2013", "😀", "\ud83d", " ", "x"];
    for (let i = 0; i < 20_000; i++) {
      const source = pick(patternAlphabet, 1 + Math.floor(next() * 7));
      const parsed = parseSigmaString(source);
      const pattern: Pattern = next() < 0.5 ? windash([{ kind: "anyString" }, ...parsed]) : parsed;
      if (!pattern.some((t) => t.kind === "anyChar" || t.kind === "charSet")) continue;
      const test = compilePattern(pattern);
      const regExp = patternRegExp(pattern);
      for (let k = 0; k < 10; k++) {
        const text = pick(textAlphabet, Math.floor(next() * 9));
        expect(test(text), `${JSON.stringify(source)} on ${JSON.stringify(text)}`).toBe(regExp.test(text));
      }
    }
  });

  it("finds a segment after an earlier near miss and respects both anchors", () => {
    const test = (source: string) => compilePattern(parseSigmaString(source));
    expect(test("*>?%temp%\\\\*")("cmd /c dir >x >\"%temp%\\out.txt")).toBe(true);
    expect(test("*>?%temp%\\\\*")("cmd /c dir > %tmp%\\out.txt")).toBe(false);
    expect(test("a?c*x?z")("abcqqxyz")).toBe(true);
    expect(test("a?c*x?z")("abcxyzq")).toBe(false);
    expect(test("ab?")("ab")).toBe(false);
    expect(test("?")("😀")).toBe(true);
    expect(test("??")("😀")).toBe(false);
  });
});

describe("windash values written out", () => {
  it("match exactly what the pattern with dash sets matches, and only values with few dashes are written out", () => {
    const next = random(11);
    const pick = (alphabet: readonly string[], length: number) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]!).join("");
    const patternAlphabet = ["a", "b", "-", "/", " ", "*", "?"];
    const textAlphabet = ["a", "b", "-", "/", "\u2013", "\u2014", "\u2015", " ", "+"];
    let written = 0;
    for (let i = 0; i < 5_000; i++) {
      const source = pick(patternAlphabet, 1 + Math.floor(next() * 8));
      const parsed: Pattern = [{ kind: "anyString" }, ...parseSigmaString(source)];
      const sets = windash(parsed).filter((t) => t.kind === "charSet").length;
      const variants = windashVariants(parsed);
      expect(variants.length).toBe(sets === 0 || sets > 2 ? 1 : 5 ** sets);
      if (variants.length > 1) written++;
      for (const variant of variants) for (let k = 1; k < variant.length; k++) expect(variant[k - 1]!.kind === "literal" && variant[k]!.kind === "literal").toBe(false);
      const reference = compilePattern(windash(parsed));
      const tests = variants.map((variant) => compilePattern(variant));
      for (let k = 0; k < 10; k++) {
        const text = pick(textAlphabet, Math.floor(next() * 9));
        expect(tests.some((test) => test(text)), `${JSON.stringify(source)} on ${JSON.stringify(text)}`).toBe(reference(text));
      }
    }
    expect(written).toBeGreaterThan(500);
  });
});
