/**
 * Sigma string values with wildcards. A value is parsed once into tokens, transformed by modifiers
 * (contains, windash, ...) and compiled into the cheapest test that decides it: equality,
 * startsWith/endsWith/includes, an ordered indexOf chain, or fixed-width segments found with indexOf when `?` or a
 * character set is involved.
 */

export type PatternToken =
  | { kind: "literal"; text: string }
  | { kind: "anyString" }
  | { kind: "anyChar" }
  | { kind: "charSet"; chars: readonly string[] };

export type Pattern = readonly PatternToken[];

/** Parses a Sigma string: `*` and `?` are wildcards; `\*`, `\?` and `\\` escape; any other backslash is literal. */
export function parseSigmaString(value: string): Pattern {
  const tokens: PatternToken[] = [];
  let literal = "";
  const flush = () => {
    if (literal !== "") tokens.push({ kind: "literal", text: literal });
    literal = "";
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === "\\") {
      const next = value[i + 1];
      if (next === "*" || next === "?" || next === "\\") {
        literal += next;
        i++;
      } else literal += char;
    } else if (char === "*") {
      flush();
      tokens.push({ kind: "anyString" });
    } else if (char === "?") {
      flush();
      tokens.push({ kind: "anyChar" });
    } else literal += char;
  }
  flush();
  return tokens;
}

export function literalPattern(text: string): Pattern {
  return text === "" ? [] : [{ kind: "literal", text }];
}

/** The plain text of a pattern without wildcards, or undefined when it has any. */
export function patternLiteral(pattern: Pattern): string | undefined {
  let text = "";
  for (const token of pattern) {
    if (token.kind !== "literal") return undefined;
    text += token.text;
  }
  return text;
}

export function withPosition(pattern: Pattern, position: "contains" | "startswith" | "endswith"): Pattern {
  const leading = position !== "startswith" && pattern[0]?.kind !== "anyString";
  const trailing = position !== "endswith" && pattern[pattern.length - 1]?.kind !== "anyString";
  return [...(leading ? [{ kind: "anyString" } as const] : []), ...pattern, ...(trailing ? [{ kind: "anyString" } as const] : [])];
}

export const WINDASH_CHARACTERS = ["-", "/", "\u2013", "\u2014", "\u2015"] as const;

const WORD_CHARACTER = /\w/;

/**
 * pySigma's windash: a `-` or `/` that starts a word (preceded by a non-word character or the start,
 * followed by a word character) may be written with any of the dash characters.
 */
export function windash(pattern: Pattern): Pattern {
  const result: PatternToken[] = [];
  for (const token of pattern) {
    if (token.kind !== "literal") {
      result.push(token);
      continue;
    }
    let literal = "";
    for (let i = 0; i < token.text.length; i++) {
      const char = token.text[i]!;
      // A literal never follows another literal, so its start is preceded by the value start or a wildcard: a boundary.
      const previous = i > 0 ? token.text[i - 1]! : undefined;
      const next = i + 1 < token.text.length ? token.text[i + 1]! : undefined;
      const startsWord = (previous === undefined || !WORD_CHARACTER.test(previous)) && next !== undefined && WORD_CHARACTER.test(next);
      if ((char === "-" || char === "/") && startsWord) {
        if (literal !== "") result.push({ kind: "literal", text: literal });
        literal = "";
        result.push({ kind: "charSet", chars: WINDASH_CHARACTERS });
      } else literal += char;
    }
    if (literal !== "") result.push({ kind: "literal", text: literal });
  }
  return result;
}

/** Most dash positions a windash value is written out for: each one multiplies its variants by five. */
const WINDASH_EXPANSION_LIMIT = 2;

/**
 * The windash forms of a pattern: one pattern per choice of dash character when it has at most
 * WINDASH_EXPANSION_LIMIT dash positions, else one pattern with character sets. Written out, a plain value stays
 * plain literals, which the pre-selection looks for whole and decides value lists by (` /create ` rather than
 * `create `), instead of a segment search per value in each rule test.
 */
export function windashVariants(pattern: Pattern): Pattern[] {
  const dashed = windash(pattern);
  const sets = dashed.filter((token) => token.kind === "charSet").length;
  if (sets === 0 || sets > WINDASH_EXPANSION_LIMIT) return [dashed];
  let variants: PatternToken[][] = [[]];
  for (const token of dashed) {
    const choices = token.kind === "charSet" ? token.chars.map((text): PatternToken => ({ kind: "literal", text })) : [token];
    variants = variants.flatMap((variant) => choices.map((choice) => appendToken(variant, choice)));
  }
  return variants;
}

/** `tokens` followed by `token`, joining two literals into one (patterns never hold adjacent literals). */
function appendToken(tokens: readonly PatternToken[], token: PatternToken): PatternToken[] {
  const last = tokens[tokens.length - 1];
  if (last?.kind === "literal" && token.kind === "literal") return [...tokens.slice(0, -1), { kind: "literal", text: last.text + token.text }];
  return [...tokens, token];
}

export function lowerCasePattern(pattern: Pattern): Pattern {
  return pattern.map((token) => {
    if (token.kind === "literal") return { kind: "literal", text: token.text.toLowerCase() };
    if (token.kind === "charSet") return { kind: "charSet", chars: token.chars.map((c) => c.toLowerCase()) };
    return token;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Merges adjacent literals and collapses runs of `*` so the fast paths see canonical shapes. */
function normalise(pattern: Pattern): PatternToken[] {
  const out: PatternToken[] = [];
  for (const token of pattern) {
    const last = out[out.length - 1];
    if (token.kind === "literal" && last?.kind === "literal") out[out.length - 1] = { kind: "literal", text: last.text + token.text };
    else if (token.kind === "anyString" && last?.kind === "anyString") continue;
    else out.push(token);
  }
  return out;
}

export type TextTest = (text: string) => boolean;

/** Compiles a pattern into a test over text that the caller has already case-folded when matching case-insensitively. */
export function compilePattern(pattern: Pattern): TextTest {
  const tokens = normalise(pattern);
  if (tokens.every((t) => t.kind === "literal" || t.kind === "anyString")) return compileLiteralChain(tokens);
  return compileSegmentChain(tokens);
}

/** The RegExp equivalent of a pattern, for texts the segment matcher leaves undecided. */
export function patternRegExp(tokens: readonly PatternToken[]): RegExp {
  const source = tokens
    .map((token) => {
      switch (token.kind) {
        case "literal":
          return escapeRegExp(token.text);
        case "anyString":
          return "[\\s\\S]*";
        case "anyChar":
          return "[\\s\\S]";
        case "charSet":
          return `(?:${token.chars.map(escapeRegExp).join("|")})`;
      }
    })
    .join("");
  return new RegExp(`^${source}$`, "u");
}

/** One text position of a segment: a character, any character (`?`) or one of a set (windash). */
type Unit = { kind: "char"; code: number } | { kind: "any" } | { kind: "set"; codes: readonly number[] };

/** Pattern tokens between two `*`: a fixed number of text positions. */
interface Segment {
  units: readonly Unit[];
  /** The segment's longest run of plain characters and where it starts, to find candidate positions with indexOf. */
  anchor: string;
  anchorOffset: number;
  /** Holds a `?` or set, so its width in code units depends on the text when that has surrogate pairs. */
  variable: boolean;
}

const UNDECIDED = -2;

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

function hasSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isSurrogate(text.charCodeAt(i))) return true;
  return false;
}

function segmentOf(tokens: readonly PatternToken[]): Segment {
  const units: Unit[] = [];
  for (const token of tokens) {
    if (token.kind === "literal") for (let i = 0; i < token.text.length; i++) units.push({ kind: "char", code: token.text.charCodeAt(i) });
    else if (token.kind === "anyChar") units.push({ kind: "any" });
    else if (token.kind === "charSet") units.push({ kind: "set", codes: token.chars.map((c) => c.charCodeAt(0)) });
  }
  let anchor = "";
  let anchorOffset = 0;
  let offset = 0;
  for (const token of tokens) {
    if (token.kind === "literal" && token.text.length > anchor.length) {
      anchor = token.text;
      anchorOffset = offset;
    }
    offset += token.kind === "literal" ? token.text.length : 1;
  }
  return { units, anchor, anchorOffset, variable: units.some((unit) => unit.kind !== "char") };
}

/**
 * 1 when the segment matches at `start`, 0 when not, UNDECIDED when a segment with `?` or a set meets half of a
 * surrogate pair: a `?` may then stand for two code units, which shifts every position after it.
 */
function matchSegmentAt(segment: Segment, text: string, start: number): number {
  const { units, variable } = segment;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    const code = text.charCodeAt(start + i);
    if (variable && isSurrogate(code)) return UNDECIDED;
    if (unit.kind === "char") {
      if (code !== unit.code) return 0;
    } else if (unit.kind === "set" && !unit.codes.includes(code)) return 0;
  }
  return 1;
}

/** Leftmost start ≥ `from` where the segment matches and ends by `end`; -1 if none; UNDECIDED as above. */
function findSegment(segment: Segment, text: string, from: number, end: number): number {
  const width = segment.units.length;
  for (let start = from; start + width <= end; start++) {
    if (segment.anchor !== "") {
      const found = text.indexOf(segment.anchor, start + segment.anchorOffset);
      if (found < 0) return -1;
      start = found - segment.anchorOffset;
      if (start + width > end) return -1;
    }
    const result = matchSegmentAt(segment, text, start);
    if (result !== 0) return result === 1 ? start : UNDECIDED;
  }
  return -1;
}

/**
 * `?` and character sets (windash) without RegExp backtracking: the pattern splits at `*` into fixed-width segments;
 * matching each segment at its leftmost position is enough because `*` absorbs anything in between. `?` stands for a
 * code point, so a `?` or set that meets a surrogate pair leaves the decision to the equivalent RegExp.
 */
function compileSegmentChain(tokens: readonly PatternToken[]): TextTest {
  const segments: Segment[] = [];
  let current: PatternToken[] = [];
  for (const token of tokens) {
    if (token.kind !== "anyString") current.push(token);
    else {
      segments.push(segmentOf(current));
      current = [];
    }
  }
  segments.push(segmentOf(current));
  // Leading and trailing `*` leave empty segments, which mark the pattern as unanchored on that side.
  const anchoredStart = segments[0]!.units.length > 0;
  const anchoredEnd = segments[segments.length - 1]!.units.length > 0;
  const inner = segments.filter((segment) => segment.units.length > 0);
  const minimumLength = inner.reduce((sum, segment) => sum + segment.units.length, 0);
  let regExp: RegExp | undefined;
  const undecided = (text: string) => (regExp ??= patternRegExp(tokens)).test(text);
  return (text) => {
    if (text.length < minimumLength) return false;
    if (segments.length === 1) {
      if (text.length !== minimumLength) return hasSurrogate(text) && undecided(text);
      const result = matchSegmentAt(inner[0]!, text, 0);
      return result === UNDECIDED ? undecided(text) : result === 1;
    }
    let first = 0;
    let last = inner.length;
    let position = 0;
    let end = text.length;
    if (anchoredStart) {
      const result = matchSegmentAt(inner[0]!, text, 0);
      if (result !== 1) return result === UNDECIDED && undecided(text);
      position = inner[0]!.units.length;
      first = 1;
    }
    if (anchoredEnd) {
      const segment = inner[inner.length - 1]!;
      end = text.length - segment.units.length;
      if (end < position) return false;
      const result = matchSegmentAt(segment, text, end);
      if (result !== 1) return result === UNDECIDED && undecided(text);
      last = inner.length - 1;
    }
    for (let i = first; i < last; i++) {
      const found = findSegment(inner[i]!, text, position, end);
      if (found === UNDECIDED) return undecided(text);
      if (found < 0) return false;
      position = found + inner[i]!.units.length;
    }
    return true;
  };
}

function compileLiteralChain(tokens: PatternToken[]): TextTest {
  const literals = tokens.flatMap((t) => (t.kind === "literal" ? [t.text] : []));
  const anchoredStart = tokens[0]?.kind === "literal";
  const anchoredEnd = tokens[tokens.length - 1]?.kind === "literal";
  if (tokens.length === 0) return (text) => text === "";
  if (literals.length === 0) return () => true;
  if (literals.length === 1) {
    const literal = literals[0]!;
    if (anchoredStart && anchoredEnd) return (text) => text === literal;
    if (anchoredStart) return (text) => text.startsWith(literal);
    if (anchoredEnd) return (text) => text.endsWith(literal);
    return (text) => text.includes(literal);
  }
  const first = literals[0]!;
  const last = literals[literals.length - 1]!;
  const middle = literals.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined);
  const minimumLength = literals.reduce((sum, l) => sum + l.length, 0);
  return (text) => {
    if (text.length < minimumLength) return false;
    if (anchoredStart && !text.startsWith(first)) return false;
    const end = anchoredEnd ? text.length - last.length : text.length;
    if (anchoredEnd && !text.endsWith(last)) return false;
    let position = anchoredStart ? first.length : 0;
    for (const literal of middle) {
      const found = text.indexOf(literal, position);
      if (found < 0 || found + literal.length > end) return false;
      position = found + literal.length;
    }
    return position <= end;
  };
}
