import { parseCondition, resolveCondition, type ConditionNode } from "./condition.ts";
import { SigmaCompileError } from "./errors.ts";
import type { FieldText, SigmaEvent } from "./event.ts";
import { compileCidr } from "./ip.ts";
import { LiteralSetMatcher } from "./literal-search.ts";
import { requiredRegexLiteral } from "./regex-literal.ts";
import { parseTimestamp } from "./timestamp.ts";
import { ANY_FIELD, atomsOfAll, atomsOfAny, clauseOf, DecidableList, type Atom, type AtomClauses, type AtomSet } from "./prefilter.ts";
import {
  compilePattern,
  literalPattern,
  lowerCasePattern,
  parseSigmaString,
  patternLiteral,
  windashVariants,
  withPosition,
  type Pattern,
  type TextTest,
} from "./pattern.ts";

export type EventPredicate = (event: SigmaEvent) => boolean;

export interface CompileOptions {
  /** Values for `%name%` placeholders used with the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

const TRANSFORMS = new Set(["windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "expand"]);
const POSITIONS = new Set(["contains", "startswith", "endswith"]);
const COMPARISONS = new Set(["gt", "gte", "lt", "lte"]);
const TIME_PARTS = new Set(["minute", "hour", "day", "week", "month", "year"]);
const REGEX_FLAGS = new Set(["i", "m", "s"]);
const FLAGS = new Set(["all", "cased", "neq"]);
const SPECIAL = new Set(["re", "cidr", "exists", "fieldref"]);

interface Modifiers {
  transforms: string[];
  position?: "contains" | "startswith" | "endswith";
  special?: "re" | "cidr" | "exists" | "fieldref";
  comparison?: "gt" | "gte" | "lt" | "lte";
  timePart?: string;
  regexFlags: string;
  all: boolean;
  cased: boolean;
  neq: boolean;
}

function parseModifiers(names: string[], path: (string | number)[]): Modifiers {
  const modifiers: Modifiers = { transforms: [], regexFlags: "", all: false, cased: false, neq: false };
  for (const name of names) {
    const fail = (reason: string): never => {
      throw new SigmaCompileError(path, reason);
    };
    if (TRANSFORMS.has(name)) modifiers.transforms.push(name);
    else if (POSITIONS.has(name)) {
      if (modifiers.position) fail(`modifiers "${modifiers.position}" and "${name}" exclude each other`);
      modifiers.position = name as Modifiers["position"];
    } else if (SPECIAL.has(name)) {
      if (modifiers.special) fail(`modifiers "${modifiers.special}" and "${name}" exclude each other`);
      modifiers.special = name as Modifiers["special"];
    } else if (COMPARISONS.has(name)) {
      if (modifiers.comparison) fail(`modifiers "${modifiers.comparison}" and "${name}" exclude each other`);
      modifiers.comparison = name as Modifiers["comparison"];
    } else if (TIME_PARTS.has(name)) modifiers.timePart = name;
    else if (REGEX_FLAGS.has(name) && modifiers.special === "re") modifiers.regexFlags += name;
    else if (FLAGS.has(name)) modifiers[name as "all" | "cased" | "neq"] = true;
    else fail(`unknown value modifier "${name}"`);
  }
  if (modifiers.special === "re" && (modifiers.position || modifiers.transforms.length > 0)) {
    throw new SigmaCompileError(path, `"re" cannot be combined with ${modifiers.position ?? modifiers.transforms.join(", ")}`);
  }
  if ((modifiers.special === "cidr" || modifiers.special === "exists") && (modifiers.position || modifiers.transforms.length > 0)) {
    throw new SigmaCompileError(path, `"${modifiers.special}" cannot be combined with other value modifiers`);
  }
  return modifiers;
}

/* ---------- value transformations (encodings, windash, placeholders) ---------- */

type Intermediate = { pattern: Pattern } | { bytes: Uint8Array };

function requireLiteral(value: Intermediate, modifier: string, path: (string | number)[]): string | Uint8Array {
  if ("bytes" in value) return value.bytes;
  const literal = patternLiteral(value.pattern);
  if (literal === undefined) throw new SigmaCompileError(path, `"${modifier}" cannot encode a value containing wildcards`);
  return literal;
}

function utf8(text: string | Uint8Array): Uint8Array {
  return typeof text === "string" ? new TextEncoder().encode(text) : text;
}

function utf16(text: string, littleEndian: boolean, byteOrderMark: boolean): Uint8Array {
  const units = (byteOrderMark ? "\ufeff" : "") + text;
  const bytes = new Uint8Array(units.length * 2);
  for (let i = 0; i < units.length; i++) {
    const unit = units.charCodeAt(i);
    bytes[i * 2 + (littleEndian ? 0 : 1)] = unit & 0xff;
    bytes[i * 2 + (littleEndian ? 1 : 0)] = unit >> 8;
  }
  return bytes;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * pySigma's base64offset: the value may start at any of three byte offsets inside a longer base64 string,
 * so encode it after 0, 1 and 2 padding bytes and keep only the characters that do not depend on the neighbours.
 */
export function base64OffsetVariants(bytes: Uint8Array): string[] {
  const startTrim = [0, 2, 3];
  const endTrim = [0, 3, 2];
  const variants: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.fill(0x20, 0, shift);
    padded.set(bytes, shift);
    const encoded = base64(padded);
    const end = endTrim[(bytes.length + shift) % 3]!;
    variants.push(encoded.slice(startTrim[shift]!, end === 0 ? undefined : encoded.length - end));
  }
  return variants;
}

function expandPlaceholders(raw: string, options: CompileOptions, path: (string | number)[]): string[] {
  // `\%` keeps a literal percent sign; everything between two unescaped percent signs is a placeholder name.
  const pieces: (string | { placeholder: string })[] = [];
  let literal = "";
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === "\\" && raw[i + 1] === "%") {
      literal += "%";
      i++;
    } else if (char === "%") {
      const close = raw.indexOf("%", i + 1);
      if (close < 0) {
        literal += char;
        continue;
      }
      pieces.push(literal, { placeholder: raw.slice(i + 1, close) });
      literal = "";
      i = close;
    } else literal += char;
  }
  pieces.push(literal);
  let results = [""];
  for (const piece of pieces) {
    if (typeof piece === "string") {
      results = results.map((r) => r + piece);
      continue;
    }
    const values = options.placeholders?.[piece.placeholder];
    if (values === undefined) throw new SigmaCompileError(path, `no values configured for placeholder "%${piece.placeholder}%"`);
    results = results.flatMap((r) => values.map((v) => r + v));
  }
  return results;
}

function applyTransforms(raw: unknown, modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): Pattern[] {
  const rawTexts = modifiers.transforms.includes("expand") ? expandPlaceholders(String(raw), options, path) : [String(raw)];
  let values: Intermediate[] = rawTexts.map((text) => ({ pattern: typeof raw === "string" ? parseSigmaString(text) : literalPattern(text) }));
  for (const transform of modifiers.transforms) {
    values = values.flatMap((value): Intermediate[] => {
      switch (transform) {
        case "expand":
          return [value];
        case "windash":
          return "pattern" in value ? windashVariants(value.pattern).map((pattern) => ({ pattern })) : [value];
        case "wide":
        case "utf16le":
        case "utf16be":
        case "utf16": {
          const text = requireLiteral(value, transform, path);
          if (typeof text !== "string") throw new SigmaCompileError(path, `"${transform}" must come before base64 encodings`);
          return [{ bytes: utf16(text, transform !== "utf16be", transform === "utf16") }];
        }
        case "base64":
          return [{ pattern: literalPattern(base64(utf8(requireLiteral(value, transform, path)))) }];
        case "base64offset":
          return base64OffsetVariants(utf8(requireLiteral(value, transform, path))).map((v) => ({ pattern: literalPattern(v) }));
        default:
          throw new SigmaCompileError(path, `unsupported transformation "${transform}"`);
      }
    });
  }
  return values.map((value) => {
    if ("pattern" in value) return value.pattern;
    let binary = "";
    for (const byte of value.bytes) binary += String.fromCharCode(byte);
    return literalPattern(binary);
  });
}

/* ---------- single values ---------- */

function anyText(text: FieldText | undefined, test: TextTest): boolean {
  if (text === undefined) return false;
  if (typeof text === "string") return test(text);
  for (const item of text) if (test(item)) return true;
  return false;
}

function readNumber(raw: unknown, path: (string | number)[], modifier: string): number {
  const value = typeof raw === "number" ? raw : Number(raw);
  if (typeof raw === "boolean" || raw === null || raw === "" || !Number.isFinite(value)) {
    throw new SigmaCompileError(path, `"${modifier}" needs a numeric value, found ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A part of a time read as the event times are (timestamp.ts): a time without zone is UTC, whatever the machine's zone. */
function timePart(text: string, part: string): number | undefined {
  const time = parseTimestamp(text);
  if (time === undefined) return undefined;
  const date = new Date(time);
  switch (part) {
    case "minute":
      return date.getUTCMinutes();
    case "hour":
      return date.getUTCHours();
    case "day":
      return date.getUTCDate();
    case "month":
      return date.getUTCMonth() + 1;
    case "year":
      return date.getUTCFullYear();
    default: {
      const start = Date.UTC(date.getUTCFullYear(), 0, 1);
      return Math.floor((time - start) / (7 * 86_400_000)) + 1;
    }
  }
}

const LINE_BREAKS = /\r\n|[\n\r\u2028\u2029]/;

/** Native searches for each line break: a character class RegExp over a 2,000-character command line costs more. */
function hasLineBreak(text: string): boolean {
  return text.includes("\n") || text.includes("\r") || text.includes("\u2028") || text.includes("\u2029");
}
const REGEX_SYNTAX = new Set([..."\\^$.|?*+()[]{}"]);

/**
 * Regexes made only of literal characters and `.*` gaps (e.g. `\+.*\+.*\+`, used to count characters)
 * backtrack exponentially in V8 on long command lines. They match exactly when their literal pieces occur
 * in order within one line (any text with the `s` flag), which an indexOf chain decides in linear time.
 */
function literalGapTest(source: string, flags: string): TextTest | undefined {
  if (flags.includes("m")) return undefined;
  const pieces: string[] = [""];
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === "\\") {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      pieces[pieces.length - 1] += next;
      i++;
    } else if (char === "." && source[i + 1] === "*") {
      i += source[i + 2] === "?" ? 2 : 1;
      pieces.push("");
    } else if (REGEX_SYNTAX.has(char)) return undefined;
    else pieces[pieces.length - 1] += char;
  }
  const literals = pieces.filter((p) => p !== "").map((p) => (flags.includes("i") ? p.toLowerCase() : p));
  if (literals.length < 2) return undefined;
  const inOrder = (text: string) => {
    let position = 0;
    for (const literal of literals) {
      const found = text.indexOf(literal, position);
      if (found < 0) return false;
      position = found + literal.length;
    }
    return true;
  };
  if (flags.includes("s")) return inOrder;
  // Pieces missing from the whole text are missing from each of its lines: most texts need no search for line breaks.
  return (text) => inOrder(text) && (!hasLineBreak(text) || text.split(LINE_BREAKS).some(inOrder));
}

function compareNumbers(comparison: Modifiers["comparison"], actual: number, expected: number): boolean {
  switch (comparison) {
    case "gt":
      return actual > expected;
    case "gte":
      return actual >= expected;
    case "lt":
      return actual < expected;
    case "lte":
      return actual <= expected;
    default:
      return actual === expected;
  }
}

/** The literal test a pattern implies (for the prefilter), if it has a literal part. */
function patternAtom(field: string, pattern: Pattern): Atom | undefined {
  const tokens = pattern;
  const literal = patternLiteral(tokens);
  if (literal !== undefined) return { field, literal: literal.toLowerCase(), kind: "equals" };
  const inner = tokens.slice(1, -1);
  const innerLiteral = patternLiteral(inner);
  const first = tokens[0]?.kind;
  const last = tokens[tokens.length - 1]?.kind;
  if (tokens.length === 2 && first === "literal" && last === "anyString") return { field, literal: patternLiteral([tokens[0]!])!.toLowerCase(), kind: "startswith" };
  if (tokens.length === 2 && first === "anyString" && last === "literal") return { field, literal: patternLiteral([tokens[1]!])!.toLowerCase(), kind: "endswith" };
  if (first === "anyString" && last === "anyString" && innerLiteral !== undefined && innerLiteral !== "") {
    return { field, literal: innerLiteral.toLowerCase(), kind: "contains" };
  }
  let longest = "";
  for (const token of tokens) if (token.kind === "literal" && token.text.length > longest.length) longest = token.text;
  return longest === "" ? undefined : { field, literal: longest.toLowerCase(), kind: "contains" };
}

/** PCRE allows leading inline flags such as `(?i)`; JavaScript (before ES2025) only takes them as RegExp flags. */
function regexParts(raw: unknown, modifiers: Modifiers): { source: string; flags: string } {
  const text = String(raw);
  const inline = /^\(\?([ims]+)\)/.exec(text);
  return { source: inline ? text.slice(inline[0].length) : text, flags: [...new Set(modifiers.regexFlags + (inline?.[1] ?? ""))].join("") };
}

function valueAtoms(field: string, raw: unknown, modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): AtomSet {
  if (modifiers.special === "re" && !modifiers.neq && raw !== null && typeof raw !== "object") {
    const required = requiredRegexLiteral(regexParts(raw, modifiers).source);
    return required === undefined ? undefined : [{ field, literal: required.toLowerCase(), kind: "contains" }];
  }
  if (modifiers.special || modifiers.comparison || modifiers.timePart || modifiers.neq || raw === null || typeof raw === "object") return undefined;
  const atoms: Atom[] = [];
  for (const pattern of applyTransforms(raw, modifiers, options, path)) {
    const atom = patternAtom(field, modifiers.position ? withPosition(pattern, modifiers.position) : pattern);
    if (atom === undefined) return undefined;
    atoms.push(atom);
  }
  return atoms;
}

function compileValueTest(field: string, raw: unknown, modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): EventPredicate {
  const caseSensitive = modifiers.cased;
  const read = (event: SigmaEvent, name: string) => (caseSensitive ? event.text(name) : event.lowerText(name));

  if (modifiers.special === "exists") {
    if (typeof raw !== "boolean") throw new SigmaCompileError(path, `"exists" needs true or false, found ${JSON.stringify(raw)}`);
    return raw ? (event) => event.has(field) : (event) => !event.has(field);
  }
  if (raw === null) {
    return (event) => {
      const value = event.value(field);
      return value === undefined || value === null || value === "";
    };
  }
  if (typeof raw === "object") throw new SigmaCompileError(path, `values must be strings, numbers, booleans or null, found ${JSON.stringify(raw)}`);

  if (modifiers.timePart || modifiers.comparison) {
    const expected = readNumber(raw, path, modifiers.comparison ?? modifiers.timePart!);
    const part = modifiers.timePart;
    const test: TextTest = (text) => {
      const actual = part ? timePart(text, part) : text.trim() === "" ? Number.NaN : Number(text);
      return actual !== undefined && !Number.isNaN(actual) && compareNumbers(modifiers.comparison, actual, expected);
    };
    return (event) => anyText(event.text(field), test);
  }
  if (modifiers.special === "re") {
    const { source, flags } = regexParts(raw, modifiers);
    let regExp: RegExp;
    try {
      regExp = new RegExp(source, flags);
    } catch (error) {
      throw new SigmaCompileError(path, `invalid regular expression ${JSON.stringify(raw)}: ${(error as Error).message}`);
    }
    const caseInsensitive = flags.includes("i");
    const gapped = literalGapTest(source, flags);
    if (gapped) return (event) => anyText(caseInsensitive ? event.lowerText(field) : event.text(field), gapped);
    const regexTest: TextTest = (text) => regExp.test(text);
    const required = requiredRegexLiteral(source);
    if (required === undefined) return (event) => anyText(event.text(field), regexTest);
    if (!caseInsensitive) return (event) => anyText(event.text(field), (text) => text.includes(required) && regExp.test(text));
    // An ASCII literal occurs case-insensitively exactly when its lower case occurs in the lower-cased text.
    const needle = required.toLowerCase();
    return (event) => {
      const lowered = event.lowerText(field);
      if (typeof lowered === "string") return lowered.includes(needle) && anyText(event.text(field), regexTest);
      if (lowered === undefined) return false;
      const texts = event.text(field) as readonly string[];
      for (let k = 0; k < lowered.length; k++) if (lowered[k]!.includes(needle) && regExp.test(texts[k]!)) return true;
      return false;
    };
  }
  if (modifiers.special === "cidr") {
    const inNetwork = compileCidr(String(raw));
    if (!inNetwork) throw new SigmaCompileError(path, `invalid CIDR block ${JSON.stringify(raw)}`);
    return (event) => anyText(event.text(field), inNetwork);
  }
  if (modifiers.special === "fieldref") {
    const other = String(raw).toLowerCase();
    const position = modifiers.position;
    const compare = (left: string, right: string) =>
      position === "contains" ? left.includes(right) : position === "startswith" ? left.startsWith(right) : position === "endswith" ? left.endsWith(right) : left === right;
    return (event) => {
      const reference = read(event, other);
      if (reference === undefined) return false;
      const references = typeof reference === "string" ? [reference] : reference;
      return anyText(read(event, field), (text) => references.some((r) => compare(text, r)));
    };
  }

  const test = patternTextTest(raw, modifiers, options, path);
  return caseSensitive ? (event) => anyText(event.text(field), test) : (event) => anyText(event.lowerText(field), test);
}

/** Whether a value is matched by its pattern(s) alone: no null, regex, CIDR, comparison or other special test. */
function isPatternValue(raw: unknown, modifiers: Modifiers): boolean {
  return raw !== null && typeof raw !== "object" && !modifiers.special && !modifiers.comparison && !modifiers.timePart;
}

/** The test of a pattern value on one text (lower-cased unless `cased`). */
function patternTextTest(raw: unknown, modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): TextTest {
  const patterns = applyTransforms(raw, modifiers, options, path).map((pattern) => {
    const positioned = modifiers.position ? withPosition(pattern, modifiers.position) : pattern;
    return compilePattern(modifiers.cased ? positioned : lowerCasePattern(positioned));
  });
  return patterns.length === 1 ? patterns[0]! : (text) => patterns.some((p) => p(text));
}

/**
 * A list of pattern values of one field, read once: a predicate per value would look the field's text up again for
 * each value. With `all`, every value must hold in some value of the field, as each value's own test would require.
 */
function patternListTest(field: string, tests: readonly TextTest[], modifiers: Modifiers): EventPredicate {
  const read = modifiers.cased ? (event: SigmaEvent) => event.text(field) : (event: SigmaEvent) => event.lowerText(field);
  if (modifiers.all) {
    return (event) => {
      const text = read(event);
      if (text === undefined) return false;
      for (let i = 0; i < tests.length; i++) if (!anyText(text, tests[i]!)) return false;
      return true;
    };
  }
  const any: TextTest = (text) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(text)) return true;
    return false;
  };
  return (event) => anyText(read(event), any);
}

function keywordPredicate(raw: unknown, modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): EventPredicate {
  if (raw === null || typeof raw === "object") throw new SigmaCompileError(path, `keywords must be strings or numbers, found ${JSON.stringify(raw)}`);
  if (modifiers.special || modifiers.comparison) throw new SigmaCompileError(path, `keyword searches support only string modifiers`);
  // A keyword is searched anywhere in the event's values unless the rule anchors it itself.
  const position = modifiers.position ?? "contains";
  const tests = applyTransforms(raw, modifiers, options, path).map((pattern) => {
    const positioned = withPosition(pattern, position);
    return compilePattern(modifiers.cased ? positioned : lowerCasePattern(positioned));
  });
  return (event) => event.keywordTexts(modifiers.cased).some((text) => tests.some((test) => test(text)));
}

/* ---------- search identifiers ---------- */

export interface CompiledIdentifier {
  test: EventPredicate;
  /** Rough evaluation cost, so AND/OR test cheap parts first (they have no side effects, order is free). */
  cost: number;
  /** Each clause has an atom that holds whenever the identifier matches (see prefilter.ts). */
  atoms: AtomClauses;
  /** For the index: the values the EventID field must equal for this identifier to match, if it constrains it. */
  eventIds?: ReadonlySet<string>;
  /** Value lists inside this identifier that a pre-selection may decide. */
  lists: readonly DecidableList[];
}

const KEYWORD_COST = 20;
const REGEX_COST = 10;

/** Orders parts cheapest first. */
function byCost<T extends { cost: number }>(parts: T[]): T[] {
  return [...parts].sort((a, b) => a.cost - b.cost);
}

function combineAll(predicates: EventPredicate[]): EventPredicate {
  if (predicates.length === 1) return predicates[0]!;
  return (event) => {
    for (const predicate of predicates) if (!predicate(event)) return false;
    return true;
  };
}

function combineAny(predicates: EventPredicate[]): EventPredicate {
  if (predicates.length === 1) return predicates[0]!;
  return (event) => {
    for (const predicate of predicates) if (predicate(event)) return true;
    return false;
  };
}

/** Value lists at least this long are matched in one pass when every value is a plain literal test. */
const LITERAL_SET_MINIMUM = 8;

/** The atoms that decide a value list exactly (any value matches, each one equals/startswith/endswith/contains a literal), if it has them. */
function exactAtoms(field: string, values: unknown[], modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): Atom[] | undefined {
  if (field === "" || modifiers.all || modifiers.cased || modifiers.special || modifiers.comparison || modifiers.timePart) return undefined;
  const atoms: Atom[] = [];
  for (const raw of values) {
    if (raw === null || typeof raw === "object") return undefined;
    for (const pattern of applyTransforms(raw, modifiers, options, path)) {
      const atom = exactAtom(field, modifiers.position ? withPosition(pattern, modifiers.position) : pattern);
      if (atom === undefined) return undefined;
      atoms.push(atom);
    }
  }
  return atoms;
}

/** Equality with "" is not a literal any scan reports: lists holding it are always tested. */
function isDecidable(atoms: readonly Atom[]): boolean {
  return atoms.every((atom) => atom.literal !== "");
}

/**
 * With `all`, a list of values holds when each value does: a value list of its own per value (the transforms of one
 * value, windash or base64offset, give it several atoms), so that scans decide `CommandLine|contains|all` lists one
 * value at a time, as they decide other lists. Undefined when some value is not decided by its atoms.
 */
function listPerValue(field: string, values: unknown[], modifiers: Modifiers, options: CompileOptions, path: (string | number)[]): DecidableList[] | undefined {
  const single = { ...modifiers, all: false };
  const lists: DecidableList[] = [];
  for (const raw of values) {
    const atoms = exactAtoms(field, [raw], single, options, path);
    if (atoms === undefined || !isDecidable(atoms)) return undefined;
    lists.push(new DecidableList(atoms));
  }
  return lists;
}

/** Every list holds: each decided by the scan that tracks it, or else by its value's own test. */
function everyListHolds(lists: readonly DecidableList[], tests: readonly EventPredicate[]): EventPredicate {
  return (event) => {
    for (let i = 0; i < lists.length; i++) if (!(lists[i]!.decide(event) ?? tests[i]!(event))) return false;
    return true;
  };
}

/** A one-pass matcher for a long list of values that are all equals/startswith/endswith/contains of a literal. */
function literalSetTest(field: string, atoms: readonly Atom[]): EventPredicate {
  const matcher = new LiteralSetMatcher(atoms);
  return (event) => anyText(event.lowerText(field), (text) => matcher.test(text));
}

/** The atom that decides a pattern exactly (literal, literal*, *literal, *literal*), if it has one of those shapes. */
function exactAtom(field: string, pattern: Pattern): Atom | undefined {
  const kinds = pattern.map((t) => t.kind).join(",");
  const literal = pattern.find((t) => t.kind === "literal");
  const text = literal?.kind === "literal" ? literal.text.toLowerCase() : "";
  switch (kinds) {
    case "":
      return { field, literal: "", kind: "equals" };
    case "literal":
      return { field, literal: text, kind: "equals" };
    case "literal,anyString":
      return { field, literal: text, kind: "startswith" };
    case "anyString,literal":
      return { field, literal: text, kind: "endswith" };
    case "anyString,literal,anyString":
      return { field, literal: text, kind: "contains" };
    default:
      return undefined;
  }
}

/**
 * The test of an entry's values, in the cheapest form that gives the same answer: `|all` lists one per value, long
 * literal lists in one pass, lists of wildcard values reading their field once, else each value's own test.
 */
function valuesTest(
  field: string,
  values: unknown[],
  modifiers: Modifiers,
  options: CompileOptions,
  path: (string | number)[],
  exact: Atom[] | undefined,
  listsPerValue: DecidableList[] | undefined,
): EventPredicate {
  const valueTests = () => values.map((raw) => (field === "" ? keywordPredicate(raw, modifiers, options, path) : compileValueTest(field, raw, modifiers, options, path)));
  if (listsPerValue !== undefined) return everyListHolds(listsPerValue, valueTests());
  if (exact !== undefined && values.length >= LITERAL_SET_MINIMUM) return literalSetTest(field, exact);
  if (field !== "" && values.length > 1 && values.every((raw) => isPatternValue(raw, modifiers))) {
    return patternListTest(field, values.map((raw) => patternTextTest(raw, modifiers, options, path)), modifiers);
  }
  if (field !== "" && values.length > 1 && modifiers.special === "re" && !modifiers.all && !modifiers.neq) return regexListTest(field, values, modifiers, valueTests());
  return modifiers.all ? combineAll(valueTests()) : combineAny(valueTests());
}

/** Group numbers and names would change meaning (or clash) once regexes are joined into one alternation. */
const GROUP_REFERENCE = /\\[1-9]|\\k<|\(\?<[^=!]/;

/**
 * `Field|re: [...]`: the regexes with the same flags joined into one alternation, which reads a long command line once
 * instead of once per regex (and once more per required literal): 0.8–1.0 µs against 2.7–4.3 for six regexes over
 * 2,000-character command lines. Values tested otherwise (literal gaps, group references) keep their own tests.
 */
function regexListTest(field: string, values: readonly unknown[], modifiers: Modifiers, valueTests: readonly EventPredicate[]): EventPredicate {
  /** Flags → indices of the values with those flags that can be joined. */
  const joinable = new Map<string, number[]>();
  const separate: EventPredicate[] = [];
  const parts = values.map((raw) => regexParts(raw, modifiers));
  parts.forEach(({ source, flags }, index) => {
    if (GROUP_REFERENCE.test(source) || literalGapTest(source, flags) !== undefined) separate.push(valueTests[index]!);
    else joinable.set(flags, [...(joinable.get(flags) ?? []), index]);
  });
  const joined = [...joinable].map(([flags, indices]): EventPredicate => {
    if (indices.length === 1) return valueTests[indices[0]!]!;
    const regExp = new RegExp(indices.map((index) => `(?:${parts[index]!.source})`).join("|"), flags);
    const test: TextTest = (text) => regExp.test(text);
    return (event) => anyText(event.text(field), test);
  });
  return combineAny([...joined, ...separate]);
}

/** Compiles `Field|mod1|mod2: value(s)`; an empty field name is a keyword search. */
function compileEntry(key: string, value: unknown, options: CompileOptions, path: (string | number)[]): CompiledIdentifier {
  const [fieldName = "", ...modifierNames] = key.split("|");
  const field = fieldName.toLowerCase();
  const modifiers = parseModifiers(modifierNames.map((m) => m.toLowerCase()), path);
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new SigmaCompileError(path, "has an empty list of values");
  if (values.length > 1 && values.includes(null)) throw new SigmaCompileError(path, "null cannot be part of a list of values");
  const valueAtomSets = values.map((raw) =>
    field === ""
      ? valueAtoms(ANY_FIELD, raw, { ...modifiers, position: modifiers.position ?? "contains" }, options, path)
      : valueAtoms(field, raw, modifiers, options, path),
  );
  const exact = exactAtoms(field, values, modifiers, options, path);
  const listsPerValue = modifiers.all ? listPerValue(field, values, modifiers, options, path) : undefined;
  let test = valuesTest(field, values, modifiers, options, path, exact, listsPerValue);
  const list = exact !== undefined && isDecidable(exact) ? new DecidableList(exact) : undefined;
  if (list !== undefined) {
    const tested = test;
    test = (event) => list.decide(event) ?? tested(event);
  }
  if (modifiers.neq) {
    const positive = test;
    test = (event) => !positive(event);
  }
  const clauses = valueAtomSets.map(clauseOf);
  const atoms = modifiers.neq ? [] : modifiers.all ? atomsOfAll(clauses) : atomsOfAny(clauses);
  const plainEquality = modifierNames.length === 0 && values.every((v) => typeof v === "number" || (typeof v === "string" && !/[*?]/.test(v)));
  const cost = values.length * (field === "" ? KEYWORD_COST : modifiers.special === "re" ? REGEX_COST : plainEquality ? 1 : 2);
  const lists = list !== undefined ? [list] : (listsPerValue ?? []);
  return field === "eventid" && plainEquality ? { test, atoms, cost, lists, eventIds: new Set(values.map((v) => String(v).toLowerCase())) } : { test, atoms, cost, lists };
}

function intersect(sets: (ReadonlySet<string> | undefined)[]): ReadonlySet<string> | undefined {
  let result: Set<string> | undefined;
  for (const set of sets) {
    if (set === undefined) continue;
    result = result === undefined ? new Set(set) : new Set([...result].filter((v) => set.has(v)));
  }
  return result;
}

function union(sets: (ReadonlySet<string> | undefined)[]): ReadonlySet<string> | undefined {
  if (sets.length === 0 || sets.some((s) => s === undefined)) return undefined;
  return new Set(sets.flatMap((s) => [...s!]));
}

function compileMap(map: Record<string, unknown>, options: CompileOptions, path: (string | number)[]): CompiledIdentifier {
  const entries = Object.entries(map).map(([key, value]) => compileEntry(key, value, options, [...path, key]));
  if (entries.length === 0) throw new SigmaCompileError(path, "is an empty map");
  return {
    test: combineAll(byCost(entries).map((e) => e.test)),
    atoms: atomsOfAll(entries.map((e) => e.atoms)),
    cost: entries.reduce((sum, e) => sum + e.cost, 0),
    eventIds: intersect(entries.map((e) => e.eventIds)),
    lists: entries.flatMap((e) => e.lists),
  };
}

export function compileSearchIdentifier(definition: unknown, options: CompileOptions, path: (string | number)[]): CompiledIdentifier {
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new SigmaCompileError(path, "is an empty list");
    if (definition.every((item) => typeof item === "object" && item !== null && !Array.isArray(item))) {
      const alternatives = definition.map((item, index) => compileMap(item as Record<string, unknown>, options, [...path, index]));
      return {
        test: combineAny(byCost(alternatives).map((a) => a.test)),
        atoms: atomsOfAny(alternatives.map((a) => a.atoms)),
        cost: alternatives.reduce((sum, a) => sum + a.cost, 0),
        eventIds: union(alternatives.map((a) => a.eventIds)),
        lists: alternatives.flatMap((a) => a.lists),
      };
    }
    if (definition.some((item) => typeof item === "object" && item !== null)) {
      throw new SigmaCompileError(path, "mixes keywords and field maps in one list");
    }
    return compileEntry("", definition, options, path);
  }
  if (typeof definition === "object" && definition !== null) return compileMap(definition as Record<string, unknown>, options, path);
  if (typeof definition === "string" || typeof definition === "number") return compileEntry("", definition, options, path);
  throw new SigmaCompileError(path, `a search identifier must be a map or a list, found ${JSON.stringify(definition)}`);
}

/* ---------- whole detections ---------- */

export interface CompiledDetection {
  test: EventPredicate;
  /** Identifiers that matched and count towards the result (not under a `not`); computed only for matches. */
  matchedIdentifiers(event: SigmaEvent): string[];
  /** Values of EventID that any match requires, used to index the rule. */
  eventIds?: ReadonlySet<string>;
  /** Literal tests, one per clause, that hold whenever the detection matches, used to pre-select rules. */
  atoms: AtomClauses;
  /** Rough cost of one evaluation (values to test, regexes and keyword searches weigh more). */
  cost: number;
  /** Value lists that a pre-selection scanning their fields may decide (see DecidableList). */
  lists: readonly DecidableList[];
}

interface CompiledNode {
  test: EventPredicate;
  cost: number;
}

function compileCondition(node: ConditionNode, identifiers: ReadonlyMap<string, CompiledIdentifier>): CompiledNode {
  switch (node.kind) {
    case "and":
    case "or": {
      const children = byCost(node.children.map((c) => compileCondition(c, identifiers)));
      const tests = children.map((c) => c.test);
      return { test: node.kind === "and" ? combineAll(tests) : combineAny(tests), cost: children.reduce((sum, c) => sum + c.cost, 0) };
    }
    case "not": {
      const child = compileCondition(node.child, identifiers);
      return { test: (event) => !child.test(event), cost: child.cost };
    }
    case "ref":
      return identifiers.get(node.name)!;
    case "of":
      throw new Error("conditions are resolved before compilation");
  }
}

function requiredEventIds(node: ConditionNode, identifiers: ReadonlyMap<string, CompiledIdentifier>): ReadonlySet<string> | undefined {
  switch (node.kind) {
    case "and":
      return intersect(node.children.map((c) => requiredEventIds(c, identifiers)));
    case "or":
      return union(node.children.map((c) => requiredEventIds(c, identifiers)));
    case "ref":
      return identifiers.get(node.name)?.eventIds;
    default:
      return undefined;
  }
}

function requiredAtoms(node: ConditionNode, identifiers: ReadonlyMap<string, CompiledIdentifier>): AtomClauses {
  switch (node.kind) {
    case "and":
      return atomsOfAll(node.children.map((c) => requiredAtoms(c, identifiers)));
    case "or":
      return atomsOfAny(node.children.map((c) => requiredAtoms(c, identifiers)));
    case "ref":
      return identifiers.get(node.name)?.atoms ?? [];
    default:
      return [];
  }
}

function positiveReferences(node: ConditionNode, out: Set<string>): Set<string> {
  if (node.kind === "and" || node.kind === "or") for (const child of node.children) positiveReferences(child, out);
  else if (node.kind === "ref") out.add(node.name);
  return out;
}

/**
 * Compiles a detection section (search identifiers + condition or list of conditions).
 * @param path where the detection sits in the document, for error locations
 */
export function compileDetection(
  searchIdentifiers: Readonly<Record<string, unknown>>,
  condition: unknown,
  options: CompileOptions,
  path: (string | number)[],
): CompiledDetection {
  const identifiers = new Map<string, CompiledIdentifier>();
  for (const [name, definition] of Object.entries(searchIdentifiers)) {
    identifiers.set(name, compileSearchIdentifier(definition, options, [...path, name]));
  }
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || conditions.some((c) => typeof c !== "string")) {
    throw new SigmaCompileError([...path, "condition"], "condition must be a string or a list of strings");
  }
  const names = [...identifiers.keys()];
  const trees = conditions.map((c, index) =>
    resolveCondition(parseCondition(c as string, [...path, "condition"]), names, Array.isArray(condition) ? [...path, "condition", index] : [...path, "condition"]),
  );
  const root: ConditionNode = trees.length === 1 ? trees[0]! : { kind: "or", children: trees };
  // Finding a match lists the selections that matched by testing them again. Remembering each result per event for this
  // cost every test of every candidate rule more than testing again the few rules that match.
  const positives = [...positiveReferences(root, new Set())].map((name) => ({ name, test: identifiers.get(name)!.test }));
  const compiled = compileCondition(root, identifiers);
  return {
    test: compiled.test,
    cost: compiled.cost,
    matchedIdentifiers: (event) => {
      const matched: string[] = [];
      for (const { name, test } of positives) if (test(event)) matched.push(name);
      return matched;
    },
    eventIds: requiredEventIds(root, identifiers),
    atoms: requiredAtoms(root, identifiers),
    lists: [...identifiers.values()].flatMap((identifier) => identifier.lists),
  };
}
