import type { Prefilter } from "./prefilter.ts";
import { hasValueList } from "./record-fields.ts";

/**
 * Which Sigma log sources an event belongs to (lower-case). An event can belong to several services
 * (an sshd line in auth.log is `auth` and `sshd`) and categories (Sysmon 12 is registry_event and registry_add).
 */
export interface EventLogSource {
  product?: string;
  services: readonly string[];
  categories: readonly string[];
}

/** Text form of a field: one string, or several for multi-valued fields. */
export type FieldText = string | readonly string[];

/** Text form of a field value as rules see it; undefined for null, missing and object values. */
export function toText(value: unknown): FieldText | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) {
    const texts: string[] = [];
    for (const item of value) {
      const text = toText(item);
      if (typeof text === "string") texts.push(text);
      else if (text !== undefined) texts.push(...text);
    }
    return texts;
  }
  return undefined;
}

function lower(text: FieldText): FieldText {
  return typeof text === "string" ? text.toLowerCase() : text.map((t) => t.toLowerCase());
}

/**
 * Event serials come from one counter per JavaScript realm, not per copy of this module: rules compiled by one bundle
 * may evaluate events made by another, and equal serials must mean the same event.
 */
const SERIAL_COUNTER = Symbol.for("corvid.sigma.lastEventSerial");
const realm = globalThis as { [SERIAL_COUNTER]?: number };

function nextSerial(): number {
  realm[SERIAL_COUNTER] = (realm[SERIAL_COUNTER] ?? 0) + 1;
  return realm[SERIAL_COUNTER];
}

/**
 * An event as Sigma sees it: a flat, case-insensitive field view plus its log source.
 * Text and lower-cased text of each field are computed at most once per event, however many rules read them.
 */
export class SigmaEvent {
  /** Distinguishes events for per-event caches in compiled rules (which must not keep the event alive). */
  readonly serial = nextSerial();
  /** Pre-selections that scanned this event and decide value lists for it (see DecidableList). */
  readonly scans: Prefilter<unknown>[] = [];
  /** Text of fields whose values are not strings (numbers, lists), and lower-cased text, computed once per event. */
  #texts: Map<string, FieldText | null> | undefined;
  #lowerTexts: Map<string, FieldText | null> | undefined;
  #keywordTexts: readonly string[] | undefined;
  #lowerKeywordTexts: readonly string[] | undefined;
  #valueList: readonly unknown[] | undefined;

  #timestamp: number | undefined | (() => number | undefined);

  /**
   * @param fields flattened fields keyed by lower-cased Sigma field name; `null` values mark present-but-null fields
   * @param raw the original record, returned in findings
   * @param timestamp milliseconds since the epoch, for correlation windows; a function is called once, on first use,
   *   because stateless matching never needs the time of events that match nothing
   */
  constructor(
    readonly fields: ReadonlyMap<string, unknown>,
    readonly logsource: EventLogSource,
    readonly raw: unknown,
    timestamp?: number | (() => number | undefined),
  ) {
    this.#timestamp = timestamp;
  }

  get timestamp(): number | undefined {
    if (typeof this.#timestamp === "function") this.#timestamp = this.#timestamp();
    return this.#timestamp;
  }

  /** Creates an event from a plain field object (tests, ad-hoc use). */
  static fromFields(fields: Record<string, unknown>, logsource: EventLogSource = { services: [], categories: [] }, timestamp?: number): SigmaEvent {
    const map = new Map<string, unknown>();
    for (const [key, value] of Object.entries(fields)) map.set(key.toLowerCase(), value);
    return new SigmaEvent(map, logsource, fields, timestamp);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  value(field: string): unknown {
    return this.fields.get(field);
  }

  text(field: string): FieldText | undefined {
    const value = this.fields.get(field);
    // Most values are strings already: no conversion to remember.
    if (typeof value === "string") return value;
    if (value === undefined || value === null) return undefined;
    this.#texts ??= new Map();
    let text = this.#texts.get(field);
    if (text === undefined) {
      text = toText(value) ?? null;
      this.#texts.set(field, text);
    }
    return text ?? undefined;
  }

  lowerText(field: string): FieldText | undefined {
    this.#lowerTexts ??= new Map();
    let folded = this.#lowerTexts.get(field);
    if (folded === undefined) {
      const text = this.text(field);
      folded = text === undefined ? null : lower(text);
      this.#lowerTexts.set(field, folded);
    }
    return folded ?? undefined;
  }

  /** Every field value, in the order `fields.values()` lists them; an array, so reading them all allocates nothing. */
  valueList(): readonly unknown[] {
    this.#valueList ??= hasValueList(this.fields) ? this.fields.valueList() : Array.from(this.fields.values());
    return this.#valueList;
  }

  /** All field values as text (lower-cased unless `caseSensitive`), searched by keyword (field-less) detections. */
  keywordTexts(caseSensitive = false): readonly string[] {
    let texts = caseSensitive ? this.#keywordTexts : this.#lowerKeywordTexts;
    if (texts === undefined) {
      // Straight from the field values: going through the per-field caches costs more than it saves here.
      const collected: string[] = [];
      const values = this.valueList();
      for (let i = 0; i < values.length; i++) {
        const text = toText(values[i]);
        if (typeof text === "string") collected.push(caseSensitive ? text : text.toLowerCase());
        else if (text !== undefined) for (const item of text) collected.push(caseSensitive ? item : item.toLowerCase());
      }
      texts = collected;
      if (caseSensitive) this.#keywordTexts = texts;
      else this.#lowerKeywordTexts = texts;
    }
    return texts;
  }
}
