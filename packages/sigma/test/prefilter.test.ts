import { compileGramScanner } from "@corvid/wasm";
import { describe, expect, it } from "vitest";
import { SigmaEngine, SigmaEvent } from "../src/index.ts";
import { AhoCorasick, LiteralSetMatcher, SkipCheck } from "../src/literal-search.ts";
import { DecidableList, Prefilter, type Atom } from "../src/prefilter.ts";
import { requiredRegexLiteral } from "../src/regex-literal.ts";
import { matches, rulesFrom } from "./helpers.ts";

const contains = (literal: string): Atom => ({ field: "f", literal, kind: "contains" });
const gramScanner = await compileGramScanner();

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

describe("Aho-Corasick scans", () => {
  /** Every (literal, index of its last character, text length) where a literal occurs in `text`. */
  function occurrencesIn(text: string, literals: readonly string[]): Set<string> {
    const found = new Set<string>();
    literals.forEach((literal, id) => {
      for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + 1)) found.add(`${id}@${at + literal.length - 1}/${text.length}`);
    });
    return found;
  }
  function reported(automaton: AhoCorasick, text: string): string[] {
    const seen: string[] = [];
    automaton.scan(text, false, (id, last, textLength) => {
      seen.push(`${id}@${last}/${textLength}`);
      return false;
    });
    return seen;
  }
  // Deterministic pseudo-random texts over a small alphabet, so literals overlap, repeat and cross the quarters.
  let seed = 7;
  const random = (below: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * below);
  const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join("");
  const literals = [
    ...Array.from({ length: 40 }, () => pick("abc", 1 + random(6))),
    ...Array.from({ length: 6 }, () => pick("abc", 30 + random(60))),
    "a".repeat(70),
    "İx".toLowerCase(),
  ];
  const automaton = new AhoCorasick([...new Set(literals)]);
  const distinct = [...new Set(literals)];

  it("reports every occurrence once in ASCII texts of every length, however the quarters fall", () => {
    for (let length = 0; length < 400; length += 1 + random(4)) {
      const text = random(5) === 0 ? "a".repeat(length) : pick("abcABC", length);
      const seen = reported(automaton, text);
      expect(new Set(seen).size, text).toBe(seen.length);
      expect(new Set(seen), text).toEqual(occurrencesIn(text.toLowerCase(), distinct));
    }
  });
  it("lower-cases texts with other characters and reports what the lower-cased text holds", () => {
    for (const length of [10, 63, 64, 65, 200]) {
      for (const at of [0, length >> 1, length - 1]) {
        const chars = [...pick("abcAB", length)];
        chars[at] = "İ";
        const text = chars.join("");
        const lowered = text.toLowerCase();
        const inLowered = reported(automaton, text).filter((o) => o.endsWith(`/${lowered.length}`));
        expect(new Set(inLowered), text).toEqual(occurrencesIn(lowered, distinct));
      }
    }
  });
  it("reads other characters as they are when every literal is ASCII, and reports what the lower-cased text holds", () => {
    const asciiLiterals = distinct.filter((literal) => /^[\x00-\x7f]*$/.test(literal));
    const asciiAutomaton = new AhoCorasick([...asciiLiterals, "kab"]);
    for (const length of [10, 63, 64, 65, 200]) {
      for (const other of ["®", "\u212A", "é", "İ"]) {
        for (const at of [0, length >> 1, length - 1]) {
          const chars = [...pick("abcAB", length)];
          chars[at] = other;
          if (at > 0) chars[at + 1 < length ? at + 1 : at - 1] = "a";
          const text = chars.join("");
          const lowered = text.toLowerCase();
          const inLowered = reported(asciiAutomaton, text).filter((o) => o.endsWith(`/${lowered.length}`));
          expect(new Set(inLowered), text).toEqual(occurrencesIn(lowered, [...asciiLiterals, "kab"]));
        }
      }
    }
  });
  it("stops as soon as the visitor asks", () => {
    let visits = 0;
    expect(automaton.scan("abc".repeat(100), false, () => ++visits === 3)).toBe(true);
    expect(visits).toBe(3);
  });

  // Thousands of literals over a wide alphabet make a table of megabytes: ASCII texts are then read by the gram index.
  const wide = "abcdefghijklmnopqrstuvwxyz0123456789 -/\\.:;&#\"'%=_";
  const many = [
    ...new Set([
      ...Array.from({ length: 3000 }, () => pick(wide, 4 + random(12))),
      ...Array.from({ length: 60 }, () => pick(wide, 1 + random(3))),
      ...Array.from({ length: 200 }, () => pick("ab -", 4 + random(4))),
      "x".repeat(40),
      "шell",
      "k\\x",
    ]),
  ];
  const large = new AhoCorasick(many, gramScanner);
  const tableOnly = new AhoCorasick(many);
  it("reports every occurrence once when a large automaton reads ASCII texts by grams", () => {
    expect((large as unknown as { grams?: unknown }).grams).toBeDefined();
    expect((tableOnly as unknown as { grams?: unknown }).grams).toBeUndefined();
    for (let length = 0; length < 300; length += 1 + random(7)) {
      const text = random(4) === 0 ? pick("ab -AB", length) : random(3) === 0 ? "x".repeat(length) : pick(wide + "ABCXYZ", length);
      const seen = reported(large, text);
      expect(new Set(seen).size, text).toBe(seen.length);
      expect(new Set(seen), text).toEqual(occurrencesIn(text.toLowerCase(), many));
      expect(new Set(reported(tableOnly, text)), text).toEqual(new Set(seen));
    }
  });
  it("grows the gram scanner's buffers for long texts and many occurrences", () => {
    // 20,000 characters (past the first text buffer) holding "ab" thousands of times (past the first occurrence buffer).
    const text = pick("ab -AB", 20_000);
    const seen = reported(large, text);
    expect(seen.length).toBeGreaterThan(1024);
    expect(new Set(seen)).toEqual(occurrencesIn(text.toLowerCase(), many));
    // Read by the scanner itself, not handed back to the table walk (which would give the same occurrences).
    expect((large as unknown as { grams: { textCapacity: number } }).grams.textCapacity).toBeGreaterThanOrEqual(text.length);
    expect(new Set(reported(large, "x ab x"))).toEqual(occurrencesIn("x ab x", many));
  });
  it("reads a planted literal at the start, in the middle and at the end of a text by grams", () => {
    for (const literal of many.filter((l) => /^[\x00-\x7f]*$/.test(l)).slice(0, 400)) {
      const text = `${literal.toUpperCase()}~${literal}~${literal}`;
      expect(new Set(reported(large, text)), text).toEqual(occurrencesIn(text.toLowerCase(), many));
    }
  });
  it("hands texts with other characters from the gram index back to the automaton", () => {
    for (const text of ["\u212A\\X and шell", "xxxx шELL", `${"x".repeat(41)}İ`, "ab - \u212A"]) {
      const lowered = text.toLowerCase();
      const inLowered = reported(large, text).filter((o) => o.endsWith(`/${lowered.length}`));
      expect(new Set(inLowered), text).toEqual(occurrencesIn(lowered, many));
    }
  });
});

describe("required literals of regular expressions", () => {
  it("reads the longest literal every match must contain", () => {
    expect(requiredRegexLiteral("\\w+`(?:\\w+|-|.)`[\\w+|\\s]")).toBe("`");
    expect(requiredRegexLiteral('"(?:\\{\\d\\})+"\\s*-f')).toBe("-f");
    expect(requiredRegexLiteral("[a-z]+\\.exe$")).toBe(".exe");
    expect(requiredRegexLiteral("ab?cd")).toBe("cd");
    expect(requiredRegexLiteral("ab{0,2}cde")).toBe("cde");
    expect(requiredRegexLiteral("a(b|c)def")).toBe("def");
  });
  it("gives up on what it cannot read exactly", () => {
    expect(requiredRegexLiteral("abc|def")).toBeUndefined();
    expect(requiredRegexLiteral("x\\x41yz")).toBeUndefined();
    expect(requiredRegexLiteral("(a)\\1bc")).toBeUndefined();
    expect(requiredRegexLiteral("[a-z]+")).toBeUndefined();
  });
  it("keeps re matching exact with the literal guard, case-insensitively and over multi-valued fields", () => {
    const sel = (body: string) => `  selection:\n${body}\n  condition: selection`;
    expect(matches(sel("    CommandLine|re|i: 'INVOKE-\\w+'"), { CommandLine: ["x", "iex; invoke-Mimikatz"] })).toBe(true);
    expect(matches(sel("    CommandLine|re|i: 'INVOKE-\\w+'"), { CommandLine: ["invoke-", "iex"] })).toBe(false);
    expect(matches(sel("    CommandLine|re: 'INVOKE-\\w+'"), { CommandLine: "invoke-Mimikatz" })).toBe(false);
    expect(matches(sel("    CommandLine|re: '(?i)\\$\\{`?e`?n`?v'"), { CommandLine: "${E`nV:path}" })).toBe(true);
  });
});

describe("prefilter skip check", () => {
  it("skips hex hashes by blocks of four characters, where pairs are all taken", () => {
    let seed = 11;
    const pick = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet[Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * alphabet.length)]).join("");
    const hex = "0123456789abcdef";
    const hashes = Array.from({ length: 300 }, (_, k) => `${k % 2 ? "md5=" : "sha256="}${pick(hex, k % 2 ? 32 : 64)}`);
    const check = SkipCheck.of(hashes);
    expect(check).toBeDefined();
    expect((check as unknown as { block: number }).block).toBe(4);
    const value = (planted?: string) => `SHA1=${pick(hex, 40)},MD5=${planted ?? pick(hex, 32)},SHA256=${pick(hex, 64).toUpperCase()},IMPHASH=${pick(hex, 32)}`;
    for (let k = 0; k < 200; k++) {
      const text = value();
      expect(check!.mayContain(text), text).toBe(hashes.some((h) => text.toLowerCase().includes(h)));
    }
    for (const hash of hashes.filter((h) => h.startsWith("md5=")).slice(0, 50)) {
      expect(check!.mayContain(value(hash.slice(4).toUpperCase()))).toBe(true);
    }
    expect(check!.mayContain(`x${"\u212A".repeat(40)}`)).toBe(false);
  });
  it("never misses a literal made of punctuation, control characters and letters written as the Kelvin sign", () => {
    let seed = 5;
    const pick = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet[Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * alphabet.length)]).join("");
    const alphabet = "ab\\|@`[{]}^~\u0001\u0000:.\u212A";
    const literals = [...new Set(Array.from({ length: 40 }, () => pick("ab\\|@`[{]}^~\u0001:.k", 5 + Math.floor(seed % 4))))];
    const check = new SkipCheck(literals);
    for (let k = 0; k < 3000; k++) {
      const text = pick(alphabet, 1 + (k % 40));
      const lowered = text.toLowerCase();
      expect(check.mayContain(text) || !literals.some((literal) => lowered.includes(literal)), JSON.stringify(text)).toBe(true);
    }
    for (const literal of literals) {
      expect(check.mayContain(`x${literal.toUpperCase()}y`), literal).toBe(true);
      // The Kelvin sign lower-cases to "k": its pairs are read outside the ASCII path, and must land where "k"'s do.
      expect(check.mayContain(`x${literal.replace(/k/g, "\u212A")}y`), literal).toBe(true);
    }
    expect(literals.filter((literal) => /k[\\|@`\u0001\u0000:.[\]{}^~]|[\\|@`\u0001\u0000:.[\]{}^~]k/.test(literal)).length).toBeGreaterThan(3);
  });
  it("selects a rule whose long literal occurs anywhere in a value, and only then", () => {
    const keywords = (values: string[]) => `  keywords:\n${values.map((v) => `    - '${v}'`).join("\n")}\n  condition: keywords`;
    const rule = keywords(["sekurlsa::", "privilege::debug", "kerberos::golden", "mimidrv.sys", "gentilkiwi.com"]);
    for (const [text, expected] of [
      ["sekurlsa::logonpasswords", true],
      ["x privilege::debug", true],
      ["run KERBEROS::GOLDEN now", true],
      ["c:\\temp\\mimidrv.sys", true],
      ["see gentilkiwi.com", true],
      ["sekurlsa:", false],
      ["privilege::debu", false],
      ["kerberos::goldeй", false],
      ["é privilege::debug", true],
    ] as const) {
      expect(matches(rule, { CommandLine: text, Other: "12345" }), text).toBe(expected);
      expect(matches(rule, { Other: ["a", text] }), text).toBe(expected);
    }
  });
});

describe("prefilter atom clauses", () => {
  it("selects an item only when every one of its clauses has an atom that holds", async () => {
    const { Prefilter } = await import("../src/prefilter.ts");
    const { SigmaEvent } = await import("../src/event.ts");
    const image = (literal: string): Atom => ({ field: "image", literal, kind: "endswith" });
    const commandLine = (literal: string): Atom => ({ field: "commandline", literal, kind: "contains" });
    // Enough items read the command line that its scan is kept (fields few items need are left out, see below).
    const fillers = Array.from({ length: 20 }, (_, index) => ({ name: `filler ${index}`, clauses: [[commandLine(`never-${index}`)]] }));
    const items = [
      { name: "cmd redirect", clauses: [[image("\\cmd.exe")], [commandLine(" > "), commandLine(">>")]] },
      { name: "any cmd", clauses: [[image("\\cmd.exe")]] },
      { name: "no atoms", clauses: [] },
      ...fillers,
    ];
    const prefilter = new Prefilter(items, (item) => item.clauses);
    const names = (fields: Record<string, string>) => prefilter.candidates(SigmaEvent.fromFields(fields)).map((item) => item.name);
    expect(names({ Image: "C:\\Windows\\System32\\CMD.EXE", CommandLine: "cmd /c dir > out.txt" })).toEqual(["cmd redirect", "any cmd", "no atoms"]);
    expect(names({ Image: "C:\\Windows\\System32\\cmd.exe", CommandLine: "cmd /c dir" })).toEqual(["any cmd", "no atoms"]);
    expect(names({ Image: "C:\\Windows\\notepad.exe", CommandLine: "notepad > x" })).toEqual(["no atoms"]);
    // Clause state does not leak from one event to the next.
    expect(names({ CommandLine: "x >> y" })).toEqual(["no atoms"]);
  });

  it("keeps several clauses for an OR: the union of the alternatives' k-th clauses", async () => {
    const { atomsOfAny } = await import("../src/prefilter.ts");
    const a1: Atom = { field: "image", literal: "\\cmd.exe", kind: "endswith" };
    const a2: Atom = { field: "commandline", literal: "pester", kind: "contains" };
    const b1: Atom = { field: "image", literal: "\\pwsh.exe", kind: "endswith" };
    // (A1 and A2) or B1: whichever alternative matches, "A1 or B1" and "A2 or B1" both hold.
    expect(atomsOfAny([[[a1], [a2]], [[b1]]])).toEqual([
      [a1, b1],
      [a2, b1],
    ]);
    // An alternative without atoms leaves nothing to require.
    expect(atomsOfAny([[[a1], [a2]], []])).toEqual([]);
  });

  it("keeps an extra clause whose weakest literal has four characters, not one of three", async () => {
    const { atomsOfAll } = await import("../src/prefilter.ts");
    const image: Atom = { field: "image", literal: "\\cmd.exe", kind: "endswith" };
    const commandLine = (...literals: string[]): Atom[] => literals.map((literal) => ({ field: "commandline", literal, kind: "contains" }));
    expect(atomsOfAll([[[image]], [commandLine("del ", "erase ")]])).toEqual([[image], commandLine("del ", "erase ")]);
    expect(atomsOfAll([[[image]], [commandLine(" /q", "erase ")]])).toEqual([[image]]);
  });

  it("does not scan a field that few items need when each of them has a clause elsewhere", async () => {
    const { Prefilter } = await import("../src/prefilter.ts");
    const { SigmaEvent } = await import("../src/event.ts");
    const atom = (field: string, literal: string, kind: Atom["kind"]): Atom => ({ field, literal, kind });
    // Many items read Image and Company, so those are scanned; only the items below read IntegrityLevel.
    const fillers = Array.from({ length: 20 }, (_, index) => ({
      name: `filler ${index}`,
      clauses: [[atom("image", `\\never-${index}.exe`, "endswith")], [atom("company", `never-${index}`, "contains")]],
    }));
    const items = [
      { name: "cmd as system", clauses: [[atom("image", "\\cmd.exe", "endswith")], [atom("integritylevel", "system", "equals")]] },
      { name: "signed, low", clauses: [[atom("company", "contoso", "contains")], [atom("integritylevel", "low", "equals")]] },
      ...fillers,
    ];
    const candidates = (prefilter: { candidates(event: InstanceType<typeof SigmaEvent>): { name: string }[] }, fields: Record<string, string>) =>
      prefilter.candidates(SigmaEvent.fromFields(fields)).map((item) => item.name);
    // Each IntegrityLevel clause has a clause elsewhere: IntegrityLevel is not scanned, the other clauses select.
    const withoutIntegrity = new Prefilter(items, (item) => item.clauses);
    expect(candidates(withoutIntegrity, { Image: "C:\\Windows\\System32\\cmd.exe", IntegrityLevel: "Medium" })).toEqual(["cmd as system"]);
    // What is left of a clause on a field not scanned: the field must be there (older Sysmon versions lack some).
    expect(candidates(withoutIntegrity, { Image: "C:\\Windows\\System32\\cmd.exe" })).toEqual([]);
    expect(candidates(withoutIntegrity, { Image: "C:\\x.exe", IntegrityLevel: "System", Company: "Contoso Ltd" })).toEqual(["signed, low"]);
    // An item that needs IntegrityLevel alone keeps it scanned, and then every IntegrityLevel clause decides again.
    const withIntegrity = new Prefilter([...items, { name: "high", clauses: [[atom("integritylevel", "high", "equals")]] }], (item) => item.clauses);
    expect(candidates(withIntegrity, { Image: "C:\\Windows\\System32\\cmd.exe", IntegrityLevel: "Medium" })).toEqual([]);
    expect(candidates(withIntegrity, { Image: "C:\\cmd.exe", IntegrityLevel: "SYSTEM", Company: "Contoso" })).toEqual(["cmd as system"]);
    expect(candidates(withIntegrity, { IntegrityLevel: "High" })).toEqual(["high"]);
  });

  it("selects on a literal at the start of a value even when a later occurrence is reported first", async () => {
    const { Prefilter } = await import("../src/prefilter.ts");
    const literal = "abcdefghijklmnopqr";
    const items = [{ name: "starts with it", clauses: [[{ field: "commandline", literal, kind: "startswith" } satisfies Atom]] }];
    const prefilter = new Prefilter(items, (item) => item.clauses);
    // 67 characters are scanned as quarters of 16 (the last walk takes 19): the copy at 49-66 lies wholly in the last
    // walk's part and is reported while the first walk, which finds the copy at the start, still has to read on.
    const value = `${literal}${"x".repeat(31)}${literal}`;
    expect(prefilter.candidates(SigmaEvent.fromFields({ CommandLine: value })).map((item) => item.name)).toEqual(["starts with it"]);
    expect(prefilter.candidates(SigmaEvent.fromFields({ CommandLine: `x${value}` }))).toEqual([]);
  });
});

describe("prefilter counters", () => {
  it("forgets every mark of an earlier event, and every scan mark when the scan counter wraps", async () => {
    const { Prefilter } = await import("../src/prefilter.ts");
    const atom = (field: string, literal: string, kind: Atom["kind"]): Atom => ({ field, literal, kind });
    const fillers = Array.from({ length: 20 }, (_, index) => ({ name: `filler ${index}`, clauses: [[atom("image", `\\never-${index}.exe`, "endswith")]] }));
    const items = [
      { name: "cmd with -x", clauses: [[atom("image", "\\cmd.exe", "endswith")], [atom("commandline", "-x", "contains")]] },
      { name: "-y", clauses: [[atom("commandline", "-y", "contains")]] },
      { name: "-z", clauses: [[atom("commandline", "-z", "contains")]] },
      ...fillers,
    ];
    const prefilter = new Prefilter(items, (item) => item.clauses);
    const names = (fields: Record<string, string>) => prefilter.candidates(SigmaEvent.fromFields(fields)).map((item) => item.name);
    // Event 1 marks the Image clause of "cmd with -x" and the clauses of "-y" and "-z"; its second scan (scan 2) sees
    // "-y" and "-z".
    expect(names({ Image: "C:\\Windows\\cmd.exe", CommandLine: "-y -z" })).toEqual(["-y", "-z"]);
    const counters = prefilter as unknown as { scanGeneration: number };
    counters.scanGeneration = 0x7fffffff;
    // The marks of event 1 must neither complete "cmd with -x" nor make the clause of "-y" look marked already.
    expect(names({ CommandLine: "-x -y" })).toEqual(["-y"]);
    // Scan 2 again: the old "seen" mark of "-z" must not hide it.
    expect(names({ CommandLine: "-z" })).toEqual(["-z"]);
  });
});

describe("prefilter case folding", () => {
  it("folds ASCII letters while scanning and lower-cases values with other characters first", () => {
    const sel = (body: string) => `  selection:\n${body}\n  condition: selection`;
    const rule = sel("    CommandLine|contains:\n      - 'kerberos::golden'\n      - 'sekurlsa::'\n      - 'privilege::debug'\n      - 'lsadump::'\n      - 'mimidrv.sys'\n      - 'gentilkiwi.com'\n      - 'dpapi::masterkey'\n      - 'event::clear'\n      - 'event::drop'\n      - 'kerberos::ptt'\n      - 'kerberos::tgt'\n      - 'misc::skeleton'\n      - 'token::elevate'");
    // 13 values cost more than testing directly, so the rule is pre-selected by the field scan under test.
    expect(matches(rule, { CommandLine: "RUN KERBEROS::GOLDEN" })).toBe(true);
    // The Kelvin sign lower-cases to an ASCII "k"; "İ" lower-cases to two characters, shifting what follows.
    expect(matches(rule, { CommandLine: "\u212Aerberos::golden" })).toBe(true);
    expect(matches(rule, { CommandLine: "İ then LSADUMP::sam" })).toBe(true);
    expect(matches(rule, { CommandLine: "İ then lsadump:sam" })).toBe(false);
    // Values shorter than every literal are skipped, but lower-casing can double a value's length: "İİ" (two code
    // units) lower-cases to the four-unit literal "i̇i̇".
    const withShortLiteral = rule.replace("      - 'token::elevate'", "      - 'token::elevate'\n      - 'i\u0307i\u0307'");
    expect(matches(withShortLiteral, { CommandLine: "\u0130\u0130" })).toBe(true);
    expect(matches(withShortLiteral, { CommandLine: "\u0130" })).toBe(false);
    // The skip check reads windows of the shortest literal's length over the value as it is, where "İSTANBUL" is a
    // code unit shorter than its lower case "i̇stanbul".
    const withDottedI = rule.replace("      - 'token::elevate'", "      - 'token::elevate'\n      - '\u0130STANBUL'");
    expect(SkipCheck.of(["\u0130STANBUL".toLowerCase(), "sekurlsa::", "lsadump::"])?.mayContain("xx \u0130STANBUL")).toBe(true);
    expect(matches(withDottedI, { CommandLine: "xx \u0130STANBUL" })).toBe(true);
    expect(matches(withDottedI, { CommandLine: "\u0130STANBUL" })).toBe(true);
    expect(matches(withDottedI, { CommandLine: "xx \u0130STANBU" })).toBe(false);
  });
});

describe("case folding outside ASCII", () => {
  it("lower-cases only the Kelvin sign and U+0130 to ASCII, and only U+0130 to more than one code unit", () => {
    const toAscii: number[] = [];
    const longer: number[] = [];
    for (let code = 128; code <= 0xffff; code++) {
      const lowered = String.fromCharCode(code).toLowerCase();
      if (lowered.length !== 1) longer.push(code);
      if ([...lowered].some((c) => c.charCodeAt(0) < 128)) toAscii.push(code);
    }
    expect(toAscii).toEqual([0x130, 0x212a]);
    expect(longer).toEqual([0x130]);
    for (let point = 0x10000; point <= 0x10ffff; point++) {
      const lowered = String.fromCodePoint(point).toLowerCase();
      if (lowered.length !== 2 || lowered.charCodeAt(0) < 128 || lowered.charCodeAt(1) < 128) throw new Error(`U+${point.toString(16)} lower-cases to ${JSON.stringify(lowered)}`);
    }
  });
  it("lets the skip check move past other characters when every literal is ASCII", () => {
    const check = new SkipCheck(["sekurlsa::", "kerberos::golden", "gentilkiwi.com"]);
    expect(check.mayContain("Microsoft® Windows® Operating System")).toBe(false);
    expect(check.mayContain("®®®®®®®®®®®®®®®®®®®®")).toBe(false);
    expect(check.mayContain("Microsoft® sekurlsa::logonpasswords")).toBe(true);
    expect(check.mayContain("\u212Aerberos::golden")).toBe(true);
    expect(check.mayContain("SEKURLSA::")).toBe(true);
    // U+0130 lower-cases to "i" and a combining dot: a literal may end with that "i".
    const endingWithI = new SkipCheck(["sekurlsa::", "gentilkiwi"]);
    expect(endingWithI.mayContain("by GENTILKIWİ")).toBe(true);
    expect(endingWithI.mayContain("İİİİİİİİİİİİ")).toBe(true);
    const nonAscii = new SkipCheck(["sekurlsa::", "gentilkiwi.cöm"]);
    expect(nonAscii.mayContain("Microsoft® Windows® Operating System")).toBe(true);
  });
});

describe("scan memo", () => {
  // Consecutive records repeat most values: a value equal to the one scanned before marks what its scan marked.
  const literals = Array.from({ length: 24 }, (_, index) => `token${String.fromCharCode(97 + index)}::`);
  const list = (values: string[]) => values.map((v) => `\n      - '${v}'`).join("");
  const rules = rulesFrom(
    [
      `title: keywords\nlogsource:\n  product: test\ndetection:\n  keywords:${list(literals.slice(0, 12))}\n  condition: keywords`,
      `title: command line\nlogsource:\n  product: test\ndetection:\n  selection:\n    CommandLine|contains:${list(literals.slice(6))}\n  condition: selection`,
      `title: command line starts\nlogsource:\n  product: test\ndetection:\n  selection:\n    CommandLine|startswith:${list(literals.slice(10, 20))}\n  condition: selection`,
      `title: every token\nlogsource:\n  product: test\ndetection:\n  selection:\n    CommandLine|contains|all:${list(literals.slice(0, 20))}\n  condition: selection`,
      `title: user and parent\nlogsource:\n  product: test\ndetection:\n  selection:\n    User|contains:${list(literals.slice(0, 8))}\n    ParentCommandLine|endswith:${list(literals.slice(8, 16))}\n  condition: selection`,
      // One rule per token: a value holding every token marks more ranges than a memo keeps.
      ...literals.map((literal) => `title: 'token rule ${literal}'\nlogsource:\n  product: test\ndetection:\n  selection:\n    CommandLine|contains: '${literal}'\n  condition: selection`),
    ].join("\n---\n"),
  );
  const everyToken = literals.slice(0, 20).join(" ");
  const events: Record<string, unknown>[] = [
    { CommandLine: "tokenk:: tokenq::", User: "tokena::", ParentCommandLine: "x tokeni::" },
    { CommandLine: "tokenk:: tokenq::", User: "tokena::", ParentCommandLine: "x tokeni::" },
    { CommandLine: "tokenk:: tokenq::", User: "nobody", ParentCommandLine: "x tokeni::" },
    { CommandLine: "x tokenk:: tokenq::", User: "tokena::", ParentCommandLine: "x tokeni:: y" },
    { CommandLine: everyToken, User: "tokena::", ParentCommandLine: everyToken },
    { CommandLine: everyToken, User: "tokena::", ParentCommandLine: everyToken },
    { CommandLine: [everyToken, everyToken, "tokenk::"], User: ["tokena::", "tokena::"] },
    { CommandLine: ["tokenk::", "tokenk::"], User: ["tokena::", "tokena::"] },
    { Other: "tokenb::", More: "tokenc::", CommandLine: "tokenb::" },
    { Other: "tokenc::", More: "tokenb::", CommandLine: "tokenb::" },
    { Other: "tokenc::", More: "tokenb::", CommandLine: "tokenb::" },
    { CommandLine: "" },
    { CommandLine: "" },
    { CommandLine: literals.join(" ") },
    { CommandLine: literals.join(" ") },
  ];

  it("gives the findings the rules' own tests give when values repeat", () => {
    const engine = new SigmaEngine(rules);
    const logsource = { product: "test", services: [], categories: [] };
    for (const [index, fields] of [...events, ...events].entries()) {
      const expected = rules.filter((rule) => rule.kind === "detection" && rule.detection.test(SigmaEvent.fromFields(fields, logsource)));
      const found = engine.match(SigmaEvent.fromFields(fields, logsource));
      expect(found.map((f) => f.title).sort(), `${index}: ${JSON.stringify(fields)}`).toEqual(expected.map((r) => r.meta.title).sort());
    }
  });
});

describe("value lists decided by the pre-selection", () => {
  it("answers for a list tracked by two pre-selections from the one that scanned the event, under its own clause", () => {
    const list = new DecidableList([contains("x")]);
    const withList = <T extends { clause: Atom }>(items: T[]) => new Prefilter(items, (item) => [[item.clause]], () => [list]);
    // The list's clause is number 1 in the first pre-selection and 2 in the second, where clause 1 is "y".
    const first = withList([{ clause: contains("q") }]);
    const second = withList([{ clause: contains("p") }, { clause: contains("y") }]);
    const decideAfter = (prefilter: Prefilter<unknown>, value: string) => {
      const event = SigmaEvent.fromFields({ f: value });
      prefilter.candidates(event);
      return list.decide(event);
    };
    expect(decideAfter(first, "x")).toBe(true);
    expect(decideAfter(second, "y")).toBe(false);
    expect(decideAfter(second, "x y")).toBe(true);
    expect(decideAfter(first, "y")).toBe(false);
  });

  // Each rule pairs a list on CommandLine or Image with one under `not`, so both outcomes of a list count.
  const lists = [
    ["CommandLine|contains", ["-enc", "kerberos::", "i\u0307x"]],
    ["CommandLine|startswith", ["cmd", "powershell"]],
    ["CommandLine|endswith", [".ps1", " -"]],
    ["CommandLine", ["whoami", "net user"]],
    ["Image|endswith", ["\\cmd.exe", "\\pwsh.exe"]],
    ["Image", ["c:\\x.exe"]],
    // With `all`, every value is a list of its own (its windash forms are one list).
    ["CommandLine|contains|all", ["-enc", "powershell"]],
    ["CommandLine|contains|all|windash", ["-enc", "/c "]],
  ] as const;
  const yaml = lists
    .flatMap(([positive], p) =>
      lists.map(([negative], n) => {
        const values = (entry: (typeof lists)[number]) => entry[1].map((v) => `\n      - '${v}'`).join("");
        return [
          `title: list ${p} without ${n}`,
          "logsource:\n  product: test",
          "detection:",
          `  selection:\n    ${positive}:${values(lists[p]!)}`,
          `  filter:\n    ${negative}:${values(lists[n]!)}`,
          `  condition: selection${p === n ? "" : " and not filter"}`,
        ].join("\n");
      }),
    )
    .join("\n---\n");
  const rules = rulesFrom(yaml);
  const engine = new SigmaEngine(rules);
  const events: Record<string, unknown>[] = [
    { CommandLine: "powershell -enc AAAA", Image: "C:\\Windows\\pwsh.exe" },
    { CommandLine: "CMD /c whoami", Image: "C:\\X.EXE" },
    { CommandLine: "whoami", Image: "C:\\Windows\\System32\\cmd.exe" },
    { CommandLine: "run İx then KERBEROS::golden script.PS1", Image: "\u212A\\cmd.exe" },
    { CommandLine: ["net user", "cmd"], Image: null },
    { CommandLine: "", Image: "" },
    { CommandLine: `${"x".repeat(80)} -enc ${"y".repeat(80)} -` },
    { CommandLine: "pwsh /ENC abc \u2013c x", Image: "C:\\Windows\\pwsh.exe" },
    { CommandLine: ["powershell", "x -enc"] },
    {},
  ];

  it("gives the findings the rules' own tests give", () => {
    for (const fields of events) {
      const expected = rules.filter((rule) => rule.kind === "detection" && rule.detection.test(SigmaEvent.fromFields(fields, { product: "test", services: [], categories: [] })));
      const found = engine.match(SigmaEvent.fromFields(fields, { product: "test", services: [], categories: [] }));
      expect(found.map((f) => f.title).sort(), JSON.stringify(fields)).toEqual(expected.map((r) => r.meta.title).sort());
    }
    // The lists were decided by the scan, not tested again: every rule's lists are tracked by the engine's pre-selection.
    const tracked = rules.flatMap((rule) => (rule.kind === "detection" ? rule.detection.lists : []));
    const event = SigmaEvent.fromFields(events[0]!, { product: "test", services: [], categories: [] });
    engine.match(event);
    expect(tracked.every((list) => list.decide(event) !== undefined)).toBe(true);
    // An `|all` list is tracked one value at a time: both values of each such list decide on their own.
    const allRules = rules.filter((rule) => rule.kind === "detection" && rule.meta.title.startsWith(`list ${lists.length - 2} without`));
    expect(allRules.length).toBeGreaterThan(0);
    for (const rule of allRules) if (rule.kind === "detection") expect(rule.detection.lists.length).toBeGreaterThanOrEqual(2);
    expect(tracked.some((list) => list.decide(event) === true)).toBe(true);
    // Once the pre-selection has scanned another event, its marks no longer speak for the first one.
    engine.match(SigmaEvent.fromFields(events[1]!, { product: "test", services: [], categories: [] }));
    expect(tracked.every((list) => list.decide(event) === undefined)).toBe(true);
  });
});
