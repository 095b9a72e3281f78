/**
 * Sigma string values with wildcards. A value is parsed once into tokens, transformed by modifiers
 * (contains, windash, ...) and compiled into the cheapest test that decides it: equality,
 * startsWith/endsWith/includes, an ordered indexOf chain, or a RegExp only when `?` or a character set is involved.
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
  const regExp = new RegExp(`^${source}$`, "u");
  return (text) => regExp.test(text);
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
