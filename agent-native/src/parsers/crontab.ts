import { ParseError, type ParseResult } from "./errors.ts";

export interface CronEntry {
  line: number;
  /** `@reboot`, `@daily`, … or null for a five-field schedule. */
  special: string | null;
  minute: string;
  hour: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  /** Present in /etc/crontab and /etc/cron.d files only. */
  user: string | null;
  command: string;
}

const SPECIAL_SCHEDULES: Record<string, [string, string, string, string, string] | null> = {
  "@reboot": null,
  "@yearly": ["0", "0", "1", "1", "*"],
  "@annually": ["0", "0", "1", "1", "*"],
  "@monthly": ["0", "0", "1", "*", "*"],
  "@weekly": ["0", "0", "*", "*", "0"],
  "@daily": ["0", "0", "*", "*", "*"],
  "@midnight": ["0", "0", "*", "*", "*"],
  "@hourly": ["0", "*", "*", "*", "*"],
};

/** A comma list of `*`, numbers or three-letter names, each optionally a range and/or a `/step` (crontab(5)). */
const SCHEDULE_ITEM = "(\\*|\\d+|[A-Za-z]{3})(-(\\d+|[A-Za-z]{3}))?(/\\d+)?";
const SCHEDULE_FIELD = new RegExp(`^${SCHEDULE_ITEM}(,${SCHEDULE_ITEM})*$`);
const ENVIRONMENT_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;

/**
 * Parses a crontab. System crontabs (/etc/crontab, /etc/cron.d/*) carry a user field after the
 * schedule; per-user crontabs do not. Environment assignments and comments are not jobs.
 */
export function parseCrontab(text: string, options: { hasUserField: boolean }): ParseResult<CronEntry> {
  const result: ParseResult<CronEntry> = { records: [], errors: [] };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, "").trim();
    if (content === "" || content.startsWith("#") || ENVIRONMENT_ASSIGNMENT.test(content)) return;
    try {
      result.records.push(parseCronLine(content, line, options.hasUserField));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.errors.push(error);
    }
  });
  return result;
}

function parseCronLine(content: string, line: number, hasUserField: boolean): CronEntry {
  const tokens = splitLeadingFields(content, content.startsWith("@") ? 1 + Number(hasUserField) : 5 + Number(hasUserField));
  if (!tokens) throw new ParseError("bad-field-count", "crontab entry", "too few fields for a job", { line });
  const { fields, rest } = tokens;
  if (rest === "") throw new ParseError("bad-value", "crontab entry", "no command", { line });
  if (content.startsWith("@")) {
    const special = fields[0]!.toLowerCase();
    if (!(special in SPECIAL_SCHEDULES)) {
      throw new ParseError("bad-value", "crontab entry", `unknown schedule ${JSON.stringify(fields[0])}`, { line });
    }
    const schedule = SPECIAL_SCHEDULES[special] ?? ["", "", "", "", ""];
    return {
      line,
      special,
      minute: schedule[0],
      hour: schedule[1],
      dayOfMonth: schedule[2],
      month: schedule[3],
      dayOfWeek: schedule[4],
      user: hasUserField ? fields[1]! : null,
      command: rest,
    };
  }
  const schedule = fields.slice(0, 5);
  const bad = schedule.find((field) => !SCHEDULE_FIELD.test(field));
  if (bad !== undefined) throw new ParseError("bad-value", "crontab entry", `bad schedule field ${JSON.stringify(bad)}`, { line });
  return {
    line,
    special: null,
    minute: schedule[0]!,
    hour: schedule[1]!,
    dayOfMonth: schedule[2]!,
    month: schedule[3]!,
    dayOfWeek: schedule[4]!,
    user: hasUserField ? fields[5]! : null,
    command: rest,
  };
}

/** Splits `count` whitespace-separated fields off the front, keeping the remainder (the command) verbatim. */
function splitLeadingFields(content: string, count: number): { fields: string[]; rest: string } | null {
  const fields: string[] = [];
  let remaining = content;
  for (let i = 0; i < count; i++) {
    const match = /^(\S+)\s*/.exec(remaining);
    if (!match) return null;
    fields.push(match[1]!);
    remaining = remaining.slice(match[0].length);
  }
  return { fields, rest: remaining.trim() };
}
