import { SigmaCompileError } from "./errors.ts";

export const CORRELATION_TYPES = ["event_count", "value_count", "temporal", "temporal_ordered", "value_sum", "value_avg", "value_percentile"] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const COMPARISON_OPERATORS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export interface CorrelationSpec {
  type: CorrelationType;
  /** Ids or names of the rules (detections or other correlations) this correlation consumes. */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  /** All listed comparisons must hold. */
  thresholds: Partial<Record<ComparisonOperator, number>>;
  /** The field aggregated by value_* types. */
  field?: string;
  /** alias → (rule id or name → field name in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  /** Whether the referenced rules also report their own matches. */
  generate: boolean;
}

const TIMESPAN_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimespan(text: unknown, path: (string | number)[]): number {
  const match = typeof text === "string" ? /^(\d+)([smhdw])$/.exec(text.trim()) : null;
  if (!match) throw new SigmaCompileError(path, `timespan must be a number followed by s, m, h, d or w, found ${JSON.stringify(text)}`);
  return Number(match[1]) * TIMESPAN_UNITS[match[2]!]!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, path: (string | number)[], what: string): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) throw new SigmaCompileError(path, `${what} must be a list of strings`);
  return list as string[];
}

export function parseCorrelation(value: unknown, path: (string | number)[]): CorrelationSpec {
  if (!isRecord(value)) throw new SigmaCompileError(path, "must be a map");
  const type = value["type"];
  if (!CORRELATION_TYPES.includes(type as CorrelationType)) {
    throw new SigmaCompileError([...path, "type"], `must be one of ${CORRELATION_TYPES.join(", ")}, found ${JSON.stringify(type)}`);
  }
  const correlationType = type as CorrelationType;
  const rules = stringList(value["rules"], [...path, "rules"], "rules");
  if (rules.length === 0) throw new SigmaCompileError([...path, "rules"], "must name at least one rule");
  const groupBy = value["group-by"] === undefined ? [] : stringList(value["group-by"], [...path, "group-by"], "group-by");
  const timespanMs = parseTimespan(value["timespan"] ?? value["timeframe"], [...path, "timespan"]);

  const condition = value["condition"];
  const thresholds: CorrelationSpec["thresholds"] = {};
  let field: string | undefined;
  if (condition !== undefined) {
    if (!isRecord(condition)) throw new SigmaCompileError([...path, "condition"], "must be a map such as {gte: 10}");
    for (const [key, threshold] of Object.entries(condition)) {
      if (key === "field") {
        field = Array.isArray(threshold) ? String(threshold[0]) : String(threshold);
        continue;
      }
      if (!COMPARISON_OPERATORS.includes(key as ComparisonOperator)) {
        throw new SigmaCompileError([...path, "condition", key], `unknown comparison "${key}"`);
      }
      if (typeof threshold !== "number") throw new SigmaCompileError([...path, "condition", key], "must be a number");
      thresholds[key as ComparisonOperator] = threshold;
    }
  }
  if (Object.keys(thresholds).length === 0) {
    if (correlationType === "temporal" || correlationType === "temporal_ordered") thresholds.gte = rules.length;
    else throw new SigmaCompileError([...path, "condition"], `a ${correlationType} correlation needs a condition such as {gte: 10}`);
  }
  if (correlationType.startsWith("value_") && field === undefined) {
    throw new SigmaCompileError([...path, "condition"], `a ${correlationType} correlation needs condition.field`);
  }

  const aliases: CorrelationSpec["aliases"] = {};
  if (value["aliases"] !== undefined) {
    if (!isRecord(value["aliases"])) throw new SigmaCompileError([...path, "aliases"], "must be a map");
    for (const [alias, mapping] of Object.entries(value["aliases"])) {
      if (!isRecord(mapping)) throw new SigmaCompileError([...path, "aliases", alias], "must map rule names to field names");
      aliases[alias] = Object.fromEntries(Object.entries(mapping).map(([rule, fieldName]) => [rule, String(fieldName)]));
    }
  }
  return { type: correlationType, rules, groupBy, timespanMs, thresholds, field, aliases, generate: value["generate"] === true };
}
