import type { ComparisonOperator, CorrelationSpec } from "./correlation-spec.ts";
import type { SigmaEvent } from "./event.ts";

/** What a correlation reports when its condition holds for one group. */
export interface CorrelationOutcome {
  groupBy: Record<string, string>;
  /** The aggregated number the condition was checked against (count, distinct values, sum, ...). */
  value: number;
  /** Contributing events, oldest first (at most MAX_KEPT_EVENTS). */
  events: SigmaEvent[];
  firstTimestamp?: number;
  lastTimestamp?: number;
}

interface Observation {
  time: number;
  ruleIndex: number;
  value?: string;
  event: SigmaEvent;
}

const MAX_KEPT_EVENTS = 32;

function holds(thresholds: CorrelationSpec["thresholds"], value: number): boolean {
  for (const [operator, threshold] of Object.entries(thresholds) as [ComparisonOperator, number][]) {
    const ok =
      operator === "gt" ? value > threshold
      : operator === "gte" ? value >= threshold
      : operator === "lt" ? value < threshold
      : operator === "lte" ? value <= threshold
      : operator === "eq" ? value === threshold
      : value !== threshold;
    if (!ok) return false;
  }
  return true;
}

function firstText(event: SigmaEvent, field: string): string | undefined {
  const text = event.text(field.toLowerCase());
  return typeof text === "string" ? text : text?.[0];
}

/**
 * Sliding-window state of one correlation rule over a time-ordered stream. Windows slide with every event
 * (rather than the fixed buckets the specification allows), and a group's window restarts after it fires
 * so one burst gives one finding.
 */
export class CorrelationTracker {
  private readonly groups = new Map<string, Observation[]>();

  /** @param ruleKeys for each entry of spec.rules, the id and name it can be referenced by */
  constructor(
    readonly spec: CorrelationSpec,
    private readonly ruleKeys: readonly (readonly string[])[],
  ) {}

  /** Index of the referenced rule among spec.rules, given the ids/names of a rule that matched. */
  ruleIndexOf(keys: readonly string[]): number {
    return this.ruleKeys.findIndex((ref) => ref.some((k) => keys.includes(k)));
  }

  private fieldFor(name: string, ruleIndex: number): string {
    const alias = this.spec.aliases[name];
    if (!alias) return name;
    for (const key of this.ruleKeys[ruleIndex] ?? []) if (alias[key] !== undefined) return alias[key]!;
    return name;
  }

  observe(ruleIndex: number, event: SigmaEvent, time: number): CorrelationOutcome | undefined {
    const groupValues = this.spec.groupBy.map((name) => firstText(event, this.fieldFor(name, ruleIndex)) ?? "");
    const groupKey = JSON.stringify(groupValues);
    const field = this.spec.field === undefined ? undefined : this.fieldFor(this.spec.field, ruleIndex);
    const observation: Observation = { time, ruleIndex, event, value: field === undefined ? undefined : firstText(event, field) };

    const window = (this.groups.get(groupKey) ?? []).filter((o) => time - o.time <= this.spec.timespanMs);
    window.push(observation);
    this.groups.set(groupKey, window);

    const value = this.aggregate(window, observation);
    if (value === undefined || !holds(this.spec.thresholds, value)) return undefined;
    this.groups.delete(groupKey);
    return {
      groupBy: Object.fromEntries(this.spec.groupBy.map((name, i) => [name, groupValues[i]!])),
      value,
      events: window.slice(-MAX_KEPT_EVENTS).map((o) => o.event),
      firstTimestamp: window[0]?.time,
      lastTimestamp: time,
    };
  }

  private aggregate(window: Observation[], latest: Observation): number | undefined {
    switch (this.spec.type) {
      case "event_count":
        return window.length;
      case "value_count":
        return new Set(window.flatMap((o) => (o.value === undefined ? [] : [o.value]))).size;
      case "value_sum":
      case "value_avg": {
        const numbers = window.map((o) => Number(o.value)).filter((n) => Number.isFinite(n));
        if (numbers.length === 0) return undefined;
        const sum = numbers.reduce((a, b) => a + b, 0);
        return this.spec.type === "value_sum" ? sum : sum / numbers.length;
      }
      case "value_percentile": {
        if (latest.value === undefined) return undefined;
        return (100 * window.filter((o) => o.value === latest.value).length) / window.length;
      }
      case "temporal":
        return new Set(window.map((o) => o.ruleIndex)).size;
      case "temporal_ordered":
        return this.orderedProgress(window);
    }
  }

  /** How many of the referenced rules were seen in their listed order within the window. */
  private orderedProgress(window: Observation[]): number {
    let next = 0;
    for (const observation of window) {
      // Greedy matching finds the ordered subsequence whenever one exists.
      if (observation.ruleIndex === next) next++;
      if (next === this.ruleKeys.length) break;
    }
    return next;
  }
}
