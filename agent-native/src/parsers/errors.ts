/** Why a parser rejected its input; stable strings so callers and tests can branch on them. */
export type ParseErrorCode =
  | "truncated"
  | "bad-field-count"
  | "bad-number"
  | "bad-value"
  | "bad-encoding"
  | "unknown-type";

/**
 * The one error parsers report. `what` names the structure being read, `offset` is a byte offset
 * (binary formats) and `line` a 1-based line number (text formats).
 */
export class ParseError extends Error {
  readonly code: ParseErrorCode;
  readonly what: string;
  readonly offset: number | undefined;
  readonly line: number | undefined;
  readonly need: number | undefined;
  readonly have: number | undefined;

  constructor(
    code: ParseErrorCode,
    what: string,
    detail: string,
    position: { offset?: number; line?: number; need?: number; have?: number } = {},
  ) {
    const where =
      position.offset !== undefined
        ? ` at offset 0x${position.offset.toString(16)}`
        : position.line !== undefined
          ? ` on line ${position.line}`
          : "";
    super(`${what}${where}: ${detail}`);
    this.name = "ParseError";
    this.code = code;
    this.what = what;
    this.offset = position.offset;
    this.line = position.line;
    this.need = position.need;
    this.have = position.have;
  }
}

/** Parsers that keep going past bad records return both what they could read and what they could not. */
export interface ParseResult<T> {
  records: T[];
  errors: ParseError[];
}

/** Parses a base-10 integer field, rejecting anything `Number()` would silently accept (blanks, hex, floats). */
export function parseDecimal(text: string, what: string, line?: number): number {
  if (!/^-?\d+$/.test(text)) {
    throw new ParseError("bad-number", what, `expected a decimal integer, got ${JSON.stringify(text)}`, lineOf(line));
  }
  return Number(text);
}

export function parseHex(text: string, what: string, line?: number): number {
  if (!/^[0-9A-Fa-f]+$/.test(text)) {
    throw new ParseError("bad-number", what, `expected hexadecimal digits, got ${JSON.stringify(text)}`, lineOf(line));
  }
  return Number.parseInt(text, 16);
}

function lineOf(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}
