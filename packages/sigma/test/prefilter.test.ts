import { describe, expect, it } from "vitest";
import { LiteralSetMatcher, type Atom } from "../src/prefilter.ts";

const contains = (literal: string): Atom => ({ field: "f", literal, kind: "contains" });

describe("literal set matching (Aho-Corasick)", () => {
  // ASCII characters use the dense transition table, others the trie's fail links: both must agree on shared states.
  const literals = ["powershell", "pоwershell", "шell", "ell -e", "\u0000e\u0000x", "—enc"];
  const matcher = new LiteralSetMatcher(literals.map(contains));

  it("finds literals mixing ASCII and non-ASCII characters anywhere in the text", () => {
    const texts = ["x pоwershell y", "abc шell", "she ell -encoded", "p\u0000e\u0000x", "cmd —enc", "pоwershel", "shell -x", "—en"];
    for (const text of texts) expect(matcher.test(text), text).toBe(literals.some((l) => text.includes(l)));
  });
  it("restarts correctly after a non-ASCII character interrupts a partial match", () => {
    expect(matcher.test("powerш powershell")).toBe(true);
    expect(matcher.test("powerшshell")).toBe(false);
  });
});
