/**
 * The longest ASCII literal that every match of a regular expression must contain, found by reading the
 * top-level sequence of the pattern. Rules' `re` values are tested only when their literal occurs, and the
 * literal serves as their prefilter atom; so a regex such as `\w+`(?:\w+|-|.)`` no longer runs over every
 * long command line. Anything this reader does not fully understand (top-level alternation, escapes with
 * operands such as `\x41`, stray quantifiers) yields no literal, which only costs speed.
 */

const CLASS_ESCAPES = new Set([..."dDwWsSbB"]);

/** Index just after the group starting at `start` (escapes, classes and nested groups respected), or -1. */
function skipGroup(source: string, start: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < source.length; i++) {
    const char = source[i]!;
    if (char === "\\") i++;
    else if (inClass) inClass = char !== "]";
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

function skipClass(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i + 1;
  }
  return -1;
}

/** Minimum repetitions of a quantifier at `at` and its length, or undefined when no quantifier is there; null when unreadable. */
function readQuantifier(source: string, at: number): { minimum: number; length: number } | undefined | null {
  const char = source[at];
  let minimum: number;
  let length: number;
  if (char === "*" || char === "?") [minimum, length] = [0, 1];
  else if (char === "+") [minimum, length] = [1, 1];
  else if (char === "{") {
    const braces = /^\{(\d+)(?:,\d*)?\}/.exec(source.slice(at));
    if (!braces) return null;
    [minimum, length] = [Number(braces[1]), braces[0].length];
  } else return undefined;
  if (source[at + length] === "?") length++;
  return { minimum, length };
}

export function requiredRegexLiteral(source: string): string | undefined {
  const pieces: string[] = [];
  let current = "";
  const endPiece = () => {
    if (current !== "") pieces.push(current);
    current = "";
  };
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    let literal: string | undefined;
    let next: number;
    if (char === "|") return undefined;
    if (char === "\\") {
      const escaped = source[i + 1];
      if (escaped === undefined) return undefined;
      if (/[A-Za-z0-9]/.test(escaped)) {
        if (!CLASS_ESCAPES.has(escaped)) return undefined;
      } else literal = escaped;
      next = i + 2;
    } else if (char === "(") next = skipGroup(source, i);
    else if (char === "[") next = skipClass(source, i);
    else if (char === "." || char === "^" || char === "$") next = i + 1;
    else if ("*+?{}])".includes(char)) return undefined;
    else {
      literal = char;
      next = i + 1;
    }
    if (next < 0) return undefined;
    if (literal !== undefined && literal.charCodeAt(0) > 127) literal = undefined;
    const quantifier = readQuantifier(source, next);
    if (quantifier === null) return undefined;
    if (quantifier === undefined) {
      if (literal === undefined) endPiece();
      else current += literal;
      i = next;
      continue;
    }
    // A repeated atom occurs at least `minimum` times, but what follows it is no longer adjacent to the piece.
    if (literal !== undefined && quantifier.minimum > 0) current += literal;
    endPiece();
    i = next + quantifier.length;
  }
  endPiece();
  let longest = "";
  for (const piece of pieces) if (piece.length > longest.length) longest = piece;
  return longest === "" ? undefined : longest;
}
