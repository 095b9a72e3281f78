import { CorrelationTracker } from "./correlation.ts";
import type { CorrelationType } from "./correlation-spec.ts";
import type { EventLogSource, FieldText, SigmaEvent } from "./event.ts";
import type { GramScanner } from "./literal-search.ts";
import { clauseFieldsOf, hasFieldOfEach, Prefilter, type ClauseFields } from "./prefilter.ts";
import type { CorrelationRule, DetectionRule, FilterRule, LogSource, RuleMetadata, SigmaRule } from "./rules.ts";

/** A rule that fired. Detection findings carry the matched event; correlation findings the contributing events. */
export interface SigmaFinding {
  kind: "detection" | "correlation";
  ruleId?: string;
  ruleName?: string;
  title: string;
  level?: string;
  status?: string;
  tags: string[];
  /** MITRE ATT&CK tags (attack.*) of the rule. */
  attack: string[];
  /** Search identifiers that matched and count towards the condition (detections only). */
  matchedSelections: string[];
  /** The matched record as it was given (detections) or the last contributing record (correlations). */
  event: unknown;
  timestamp?: number;
  file: string;
  correlation?: {
    type: CorrelationType;
    groupBy: Record<string, string>;
    value: number;
    events: unknown[];
    firstTimestamp?: number;
  };
}

interface IndexedRule {
  rule: DetectionRule;
  /** The rule's test, one step from the candidate list: each rule object passed on the way is a cold cache line. */
  test: (event: SigmaEvent) => boolean;
  /** The finding fields that depend only on the rule, built once. */
  finding: RuleFindingPart;
  filters: FilterRule[];
  /** Correlations fed by this rule, with the rule's position in each correlation's rule list. */
  correlations: { tracker: CorrelationTracker; rule: CorrelationRule; ruleIndex: number }[];
  /** False when the rule only feeds correlations (generate: false). */
  reports: boolean;
  /**
   * Per atom clause, the fields its atoms read: a literal test only holds on a present field, so the rule cannot match
   * an event lacking every field of one clause. Lists tested without a pre-selection skip such rules.
   */
  clauseFields: ClauseFields;
}

interface Bucket {
  /** By lower-cased EventID text and, for canonical integers, by the number too (EVTX gives numbers). */
  byEventId: Map<string | number, IndexedRule[]>;
  anyEventId: IndexedRule[];
}

const DIRECT_TEST_COST = 24;

function logSourceKey(product: string | undefined, service: string | undefined, category: string | undefined): string {
  return `${product ?? ""}|${service ?? ""}|${category ?? ""}`;
}

function ruleKey(logsource: LogSource): string {
  return logSourceKey(logsource.product, logsource.service, logsource.category);
}

/** Every logsource key a rule could be filed under for this event (a rule may omit product, service or category). */
function eventKeys(event: SigmaEvent): string[] {
  const { product, services, categories } = event.logsource;
  const keys: string[] = [];
  for (const p of product === undefined ? [undefined] : [product, undefined]) {
    for (const s of [...services, undefined]) {
      for (const c of [...categories, undefined]) keys.push(logSourceKey(p, s, c));
    }
  }
  return keys;
}

function referencesOf(meta: RuleMetadata): string[] {
  return [meta.id, meta.name].filter((r): r is string => r !== undefined);
}

/** What a finding says about its rule: the same in every finding of the rule. */
type RuleFindingPart = Pick<SigmaFinding, "ruleId" | "ruleName" | "title" | "level" | "status" | "tags" | "attack" | "file">;

function ruleFindingPart(meta: RuleMetadata, file: string): RuleFindingPart {
  return {
    ruleId: meta.id,
    ruleName: meta.name,
    title: meta.title,
    level: meta.level,
    status: meta.status,
    tags: meta.tags,
    attack: meta.tags.filter((t) => t.toLowerCase().startsWith("attack.")),
    file,
  };
}

/** Fields written out one by one: spreading the rule's part into each finding cost 0.02 ms more per pass of 137 records (bench:sigma:ab --per-record). */
function newFinding(kind: SigmaFinding["kind"], rule: RuleFindingPart, matchedSelections: string[], event: unknown, timestamp: number | undefined): SigmaFinding {
  return {
    kind,
    ruleId: rule.ruleId,
    ruleName: rule.ruleName,
    title: rule.title,
    level: rule.level,
    status: rule.status,
    tags: rule.tags,
    attack: rule.attack,
    file: rule.file,
    matchedSelections,
    event,
    timestamp,
  };
}

export interface SigmaEngineOptions {
  /**
   * The compiled gram index module of @corvid/wasm (`compileGramScanner()`). Pre-selections with thousands of literals
   * on one field (process command lines) then read its ASCII values in WebAssembly; without it they walk their
   * transition table, with the same results.
   */
  gramScanner?: GramScanner;
}

/**
 * Evaluates compiled rules against events. Rules are filed by logsource and, where a rule requires
 * particular EventIDs, by EventID, so each event is only tested against the rules that could match it.
 */
export class SigmaEngine {
  private readonly buckets = new Map<string, Bucket>();
  private readonly correlationsFedByCorrelation = new Map<CorrelationRule, { tracker: CorrelationTracker; rule: CorrelationRule; ruleIndex: number }[]>();
  private readonly keyCache = new Map<string, Bucket[]>();
  private readonly bucketsByLogSource = new WeakMap<EventLogSource, Bucket[]>();
  /** Per candidate list: its prefilter, or null when testing the rules directly is cheaper. */
  private readonly prefilters = new WeakMap<IndexedRule[], Prefilter<IndexedRule> | null>();
  private lastTimestamp = 0;
  readonly detectionRules: readonly DetectionRule[];
  readonly correlationRules: readonly CorrelationRule[];

  constructor(
    rules: readonly SigmaRule[],
    private readonly options: SigmaEngineOptions = {},
  ) {
    this.detectionRules = rules.filter((r): r is DetectionRule => r.kind === "detection");
    this.correlationRules = rules.filter((r): r is CorrelationRule => r.kind === "correlation");
    const filters = rules.filter((r): r is FilterRule => r.kind === "filter");

    const trackers = this.correlationRules.map((rule) => {
      const ruleKeys = rule.correlation.rules.map((reference) => {
        const target = rules.find((r) => referencesOf(r.meta).includes(reference));
        return target ? referencesOf(target.meta) : [reference];
      });
      return { rule, tracker: new CorrelationTracker(rule.correlation, ruleKeys) };
    });
    const feedsOf = (meta: RuleMetadata) =>
      trackers.flatMap(({ rule, tracker }) => {
        const ruleIndex = tracker.ruleIndexOf(referencesOf(meta));
        return ruleIndex < 0 ? [] : [{ tracker, rule, ruleIndex }];
      });
    for (const { rule } of trackers) this.correlationsFedByCorrelation.set(rule, feedsOf(rule.meta));

    for (const rule of this.detectionRules) {
      const references = referencesOf(rule.meta);
      const correlations = feedsOf(rule.meta);
      const indexed: IndexedRule = {
        rule,
        test: rule.detection.test,
        finding: ruleFindingPart(rule.meta, rule.origin.file),
        filters: filters.filter((f) => f.targets.some((t) => references.includes(t))),
        correlations,
        reports: correlations.length === 0 || correlations.some((c) => c.rule.correlation.generate),
        clauseFields: clauseFieldsOf(rule.detection.atoms),
      };
      const key = ruleKey(rule.logsource);
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = { byEventId: new Map(), anyEventId: [] };
        this.buckets.set(key, bucket);
      }
      const eventIds = rule.detection.eventIds;
      if (eventIds === undefined) bucket.anyEventId.push(indexed);
      else {
        for (const id of eventIds) {
          const list = bucket.byEventId.get(id) ?? [];
          list.push(indexed);
          bucket.byEventId.set(id, list);
          if (String(Number(id)) === id) bucket.byEventId.set(Number(id), list);
        }
      }
    }
  }

  private bucketsFor(event: SigmaEvent): Bucket[] {
    // Mappings hand out one logsource object per kind of record: found by identity, no key to build.
    const known = this.bucketsByLogSource.get(event.logsource);
    if (known !== undefined) return known;
    const { product, services, categories } = event.logsource;
    const cacheKey = `${product ?? ""}\u0000${services.join(",")}\u0000${categories.join(",")}`;
    let buckets = this.keyCache.get(cacheKey);
    if (!buckets) {
      buckets = eventKeys(event).flatMap((key) => {
        const bucket = this.buckets.get(key);
        return bucket ? [bucket] : [];
      });
      this.keyCache.set(cacheKey, buckets);
    }
    if (Object.isFrozen(event.logsource)) this.bucketsByLogSource.set(event.logsource, buckets);
    return buckets;
  }

  private static filtered(indexed: IndexedRule, event: SigmaEvent): boolean {
    for (const filter of indexed.filters) {
      const { product, service, category } = filter.logsource;
      const applies =
        (product === undefined || product === event.logsource.product) &&
        (service === undefined || event.logsource.services.includes(service)) &&
        (category === undefined || event.logsource.categories.includes(category));
      if (applies && filter.detection.test(event)) return true;
    }
    return false;
  }

  private prefilterOf(rules: IndexedRule[]): Prefilter<IndexedRule> | null {
    let prefilter = this.prefilters.get(rules);
    if (prefilter === undefined) {
      // Scanning fields costs more than directly testing a few cheap rules.
      const cost = rules.reduce((sum, indexed) => sum + indexed.rule.detection.cost, 0);
      prefilter =
        cost <= DIRECT_TEST_COST
          ? null
          : new Prefilter(
              rules,
              (indexed) => indexed.rule.detection.atoms,
              (indexed) => indexed.rule.detection.lists,
              this.options.gramScanner,
            );
      this.prefilters.set(rules, prefilter);
    }
    return prefilter;
  }

  /** The detection rules (after filters) that match one event, without touching correlation state. */
  private matchingRules(event: SigmaEvent): IndexedRule[] {
    const matches: IndexedRule[] = [];
    const rawEventId = event.value("eventid");
    const eventIdText = typeof rawEventId === "number" ? undefined : event.lowerText("eventid");
    const eventId = typeof rawEventId === "number" ? rawEventId : SigmaEngine.singleText(eventIdText);
    for (const bucket of this.bucketsFor(event)) {
      const byEventId = eventId === undefined ? undefined : bucket.byEventId.get(eventId);
      if (byEventId !== undefined) this.collectMatches(byEventId, event, matches);
      else if (typeof eventIdText === "object") this.collectForEachEventId(bucket, eventIdText, event, matches);
      if (bucket.anyEventId.length > 0) this.collectMatches(bucket.anyEventId, event, matches);
    }
    return matches;
  }

  /** A multi-valued EventID: the rules filed under any of its values, each rule once. */
  private collectForEachEventId(bucket: Bucket, eventIds: readonly string[], event: SigmaEvent, matches: IndexedRule[]): void {
    const found: IndexedRule[] = [];
    for (const eventId of new Set(eventIds)) {
      const rules = bucket.byEventId.get(eventId);
      if (rules !== undefined) this.collectMatches(rules, event, found);
    }
    for (const indexed of found) if (!matches.includes(indexed)) matches.push(indexed);
  }

  private static singleText(text: FieldText | undefined): string | undefined {
    return typeof text === "string" ? text : undefined;
  }

  private collectMatches(rules: IndexedRule[], event: SigmaEvent, matches: IndexedRule[]): void {
    const prefilter = this.prefilterOf(rules);
    // A pre-selection only selects rules whose clauses it saw hold, on fields the event has.
    const candidates = prefilter === null ? rules : prefilter.candidates(event);
    for (const indexed of candidates) {
      if (prefilter === null && !hasFieldOfEach(indexed.clauseFields, event)) continue;
      if (indexed.test(event) && (indexed.filters.length === 0 || !SigmaEngine.filtered(indexed, event))) matches.push(indexed);
    }
  }

  private detectionFinding(indexed: IndexedRule, event: SigmaEvent): SigmaFinding {
    return newFinding("detection", indexed.finding, indexed.rule.detection.matchedIdentifiers(event), event.raw, event.timestamp);
  }

  /** Stateless: findings of the detection rules for one event (rules that only feed correlations included). */
  match(event: SigmaEvent): SigmaFinding[] {
    return this.matchingRules(event).map((indexed) => this.detectionFinding(indexed, event));
  }

  /**
   * Streaming: detection findings plus any correlation that completes with this event.
   * Feed events in time order; events without a timestamp count as happening at the last seen time.
   */
  process(event: SigmaEvent): SigmaFinding[] {
    const time = event.timestamp ?? this.lastTimestamp;
    this.lastTimestamp = Math.max(this.lastTimestamp, time);
    const findings: SigmaFinding[] = [];
    for (const indexed of this.matchingRules(event)) {
      if (indexed.reports) findings.push(this.detectionFinding(indexed, event));
      this.feed(indexed.correlations, event, time, findings);
    }
    return findings;
  }

  private feed(feeds: IndexedRule["correlations"], event: SigmaEvent, time: number, findings: SigmaFinding[]): void {
    for (const { tracker, rule, ruleIndex } of feeds) {
      const outcome = tracker.observe(ruleIndex, event, time);
      if (!outcome) continue;
      const chained = this.correlationsFedByCorrelation.get(rule) ?? [];
      if (chained.length === 0 || chained.some((c) => c.rule.correlation.generate)) {
        const finding = newFinding("correlation", ruleFindingPart(rule.meta, rule.origin.file), [], event.raw, time);
        finding.correlation = {
          type: rule.correlation.type,
          groupBy: outcome.groupBy,
          value: outcome.value,
          events: outcome.events.map((e) => e.raw),
          firstTimestamp: outcome.firstTimestamp,
        };
        findings.push(finding);
      }
      this.feed(chained, event, time, findings);
    }
  }
}
