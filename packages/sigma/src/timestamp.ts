/** Event times as milliseconds since the epoch, from the forms logs write them in. */

/** The digit at `at`, or -1 for any other character (or none). */
function digitAt(text: string, at: number): number {
  const digit = text.charCodeAt(at) - 48;
  return digit >= 0 && digit <= 9 ? digit : -1;
}

/** The number written by `count` digits at `from`, or -1 if one of them is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = digitAt(text, i);
    if (digit < 0) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction][Z | ±HH:MM | ±HHMM]`, with `T` or a space, read without regexes or `Date.parse`:
 * every EVTX record and most cloud logs carry this form, and findings need the time of each matched event.
 * No zone means UTC. Gives the same time as `Date.parse` (fractions cut to milliseconds); undefined for any text it
 * does not read exactly, which then goes through `Date.parse`.
 */
function parseIsoTimestamp(text: string): number | undefined {
  if (text.length < 19) return undefined;
  if (text[4] !== "-" || text[7] !== "-" || (text[10] !== "T" && text[10] !== " ") || text[13] !== ":" || text[16] !== ":") return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  // Years before 100 would be read as 19xx by Date.UTC; other out-of-range parts are Date.parse's to judge.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let at = 19;
  let milliseconds = 0;
  if (text[at] === ".") {
    const start = ++at;
    // Date.parse keeps milliseconds and drops the finer digits.
    for (let digit = digitAt(text, at); digit >= 0; digit = digitAt(text, ++at)) {
      if (at - start < 3) milliseconds += digit * 10 ** (2 - (at - start));
    }
    if (at === start) return undefined;
  }
  let offsetMinutes = 0;
  if (at < text.length) {
    const zone = text[at];
    if (zone === "Z" || zone === "z") {
      if (at + 1 !== text.length) return undefined;
    } else if (zone === "+" || zone === "-") {
      const colon = text[at + 3] === ":";
      if (text.length !== at + (colon ? 6 : 5)) return undefined;
      const hours = digitsAt(text, at + 1, 2);
      const minutes = digitsAt(text, at + (colon ? 4 : 3), 2);
      if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
      offsetMinutes = (zone === "+" ? 1 : -1) * (hours * 60 + minutes);
    } else return undefined;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, milliseconds) - offsetMinutes * 60_000;
}

/** Milliseconds since the epoch from epoch seconds, milliseconds or microseconds, or from a date text; undefined otherwise. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number") return value > 1e14 ? value / 1000 : value > 1e11 ? value : value * 1000;
  if (typeof value !== "string" || value === "") return undefined;
  const iso = parseIsoTimestamp(value);
  if (iso !== undefined) return iso;
  if (/^\d+$/.test(value)) return parseTimestamp(Number(value));
  // Unified Audit Log times carry no zone (UTC implied); "YYYY-MM-DD HH:MM:SS" is also UTC in Sysmon.
  const text = value.includes("T") ? value : value.replace(" ", "T");
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`;
  const time = Date.parse(zoned);
  return Number.isNaN(time) ? undefined : time;
}
