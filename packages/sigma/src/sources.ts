/**
 * Turns raw records (EVTX JSON, cloud audit JSON, Linux log lines) into SigmaEvents using a log-source
 * mapping. The mapping (which service and category a record belongs to, and which Sigma field names alias
 * which record fields) is data, one JSON file per source under ./mappings; only the record layouts are code.
 */
import { SigmaEvent, type EventLogSource } from "./event.ts";
import { flattenEvtx } from "./evtx-fields.ts";
import azureActivityMapping from "./mappings/azure-activity.json" with { type: "json" };
import browserMapping from "./mappings/corvid-browser.json" with { type: "json" };
import entraAuditMapping from "./mappings/entra-audit.json" with { type: "json" };
import entraSigninMapping from "./mappings/entra-signin.json" with { type: "json" };
import gworkspaceMapping from "./mappings/gworkspace.json" with { type: "json" };
import linuxAuditdMapping from "./mappings/linux-auditd.json" with { type: "json" };
import linuxJournaldMapping from "./mappings/linux-journald.json" with { type: "json" };
import linuxSyslogMapping from "./mappings/linux-syslog.json" with { type: "json" };
import m365Mapping from "./mappings/m365-audit.json" with { type: "json" };
import windowsMapping from "./mappings/windows.json" with { type: "json" };
import { isRecord, lowerCaseName, type FieldMap } from "./record-fields.ts";
import { parseTimestamp } from "./timestamp.ts";

export type RecordFormat = "evtx" | "json" | "gworkspace" | "auditd" | "syslog" | "journald";

/** A field alias: one source field, the first present of several, or a template such as "{id.applicationName}.googleapis.com". */
export type FieldAlias = string | string[] | { template: string };

export interface CategoryMapping {
  category: string;
  /** The service the record must belong to. */
  service?: string;
  eventIds?: (number | string)[];
  /** Further field = value(s) conditions. */
  when?: Record<string, unknown>;
  /** Sigma field → record field, applied only to records of this category. */
  aliases?: Record<string, FieldAlias>;
}

export interface LogSourceMapping {
  name: string;
  description: string;
  format: RecordFormat;
  product: string;
  /** Services: fixed names, and/or the lower-cased value of a field looked up in a table (or used as is). */
  services?: string[];
  serviceFrom?: { field: string; values?: Record<string, string>; template?: string };
  categories?: CategoryMapping[];
  aliases?: Record<string, FieldAlias>;
  /** Arrays of {Name, Value} pairs flattened into `<array>.<Name>` and, when free, `<Name>`. */
  nameValueArrays?: string[];
  /** Candidate timestamp fields, first present wins. */
  timestamp?: string[];
}

export const BUILTIN_MAPPINGS: Readonly<Record<string, LogSourceMapping>> = Object.fromEntries(
  [windowsMapping, m365Mapping, entraSigninMapping, azureActivityMapping, entraAuditMapping, gworkspaceMapping, linuxAuditdMapping, linuxSyslogMapping, linuxJournaldMapping, browserMapping].map(
    (mapping) => [mapping.name, mapping as LogSourceMapping],
  ),
);

function setField(fields: FieldMap, name: string, value: unknown): void {
  fields.set(lowerCaseName(name), value);
}

/** Adds a value under a key; repeated keys (from arrays of objects) collect into an array. */
function addField(fields: FieldMap, name: string, value: unknown): void {
  const key = lowerCaseName(name);
  if (!fields.has(key)) {
    fields.set(key, value);
    return;
  }
  const existing = fields.get(key);
  const merged = Array.isArray(existing) ? existing : [existing];
  fields.set(key, merged.concat(value));
}

/* ---------- generic JSON ---------- */

function flattenJson(value: unknown, prefix: string, fields: FieldMap): void {
  if (Array.isArray(value)) {
    if (value.every((item) => !isRecord(item) && !Array.isArray(item))) {
      if (prefix !== "") addField(fields, prefix, value);
      return;
    }
    for (const item of value) flattenJson(item, prefix, fields);
    return;
  }
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) flattenJson(child, prefix === "" ? key : `${prefix}.${key}`, fields);
    return;
  }
  if (prefix !== "") addField(fields, prefix, value);
}

function readPath(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const segment of path.split(".")) {
    if (!isRecord(current)) return undefined;
    const key = Object.keys(current).find((k) => k.toLowerCase() === segment.toLowerCase());
    if (key === undefined) return undefined;
    current = current[key];
  }
  return current;
}

function flattenNameValueArrays(record: unknown, paths: readonly string[], fields: FieldMap): void {
  for (const path of paths) {
    const list = readPath(record, path);
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item)) continue;
      const name = item["Name"] ?? item["name"];
      const value = item["Value"] ?? item["value"] ?? item["NewValue"] ?? item["newValue"];
      if (typeof name !== "string") continue;
      addField(fields, `${path}.${name}`, value);
      if (!fields.has(name.toLowerCase())) setField(fields, name, value);
    }
  }
}

/* ---------- Google Workspace Reports activities ---------- */

function parameterValue(parameter: Record<string, unknown>): unknown {
  for (const key of ["value", "multiValue", "intValue", "multiIntValue", "boolValue", "messageValue", "multiMessageValue"]) {
    if (key in parameter) return parameter[key];
  }
  return undefined;
}

/** One Sigma event per `events[]` item: the activity envelope plus the item under `events.*` and its parameters by name. */
function explodeGworkspace(record: unknown): FieldMap[] {
  if (!isRecord(record)) return [];
  const { events, ...envelope } = record;
  const items = Array.isArray(events) ? events : isRecord(events) ? [events] : "name" in record ? [{ name: record["name"], type: record["type"], parameters: record["parameters"] }] : [];
  return items.filter(isRecord).map((item) => {
    const fields: FieldMap = new Map();
    flattenJson(envelope, "", fields);
    flattenJson({ name: item["name"], type: item["type"] }, "events", fields);
    const parameters = item["parameters"];
    const entries: [string, unknown][] = Array.isArray(parameters)
      ? parameters.filter(isRecord).map((p) => [String(p["name"]), parameterValue(p)])
      : isRecord(parameters)
        ? Object.entries(parameters)
        : [];
    for (const [name, value] of entries) {
      setField(fields, `events.parameters.${name}`, value);
      if (!fields.has(name.toLowerCase())) setField(fields, name, value);
    }
    return fields;
  });
}

/* ---------- Linux text logs ---------- */

const AUDIT_PAIR = /([A-Za-z0-9_-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;

function flattenAuditd(record: unknown): FieldMap {
  const fields: FieldMap = new Map();
  if (typeof record !== "string") {
    flattenJson(record, "", fields);
    return fields;
  }
  const stamp = /msg=audit\((\d+(?:\.\d+)?):(\d+)\)/.exec(record);
  if (stamp) {
    setField(fields, "audit_time", Number(stamp[1]) * 1000);
    setField(fields, "audit_serial", stamp[2]);
  }
  for (const match of record.matchAll(AUDIT_PAIR)) {
    const key = match[1]!;
    if (key === "msg" && match[2]!.startsWith("audit(")) continue;
    let value = match[2]!;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    if (!fields.has(key.toLowerCase())) setField(fields, key, value);
  }
  setField(fields, "message", record);
  return fields;
}

const SYSLOG_LINE = /^(?:<\d+>)?(?:(\w{3} [ \d]\d \d\d:\d\d:\d\d)|(\d{4}-\d\d-\d\dT\S+))\s+(\S+)\s+([^\s:[]+)(?:\[(\d+)\])?:\s?(.*)$/s;

function flattenSyslog(record: unknown): FieldMap {
  const fields: FieldMap = new Map();
  if (typeof record !== "string") {
    flattenJson(record, "", fields);
    return fields;
  }
  const match = SYSLOG_LINE.exec(record);
  if (match) {
    setField(fields, "timestamp", match[1] ?? match[2]);
    setField(fields, "host", match[3]);
    setField(fields, "program", match[4]);
    if (match[5] !== undefined) setField(fields, "pid", Number(match[5]));
    setField(fields, "message", match[6]);
  } else setField(fields, "message", record);
  return fields;
}

/* ---------- mapping application ---------- */

function fieldText(fields: FieldMap, name: string): string | undefined {
  const value = fields.get(lowerCaseName(name));
  if (value === undefined || value === null) return undefined;
  return String(Array.isArray(value) ? value[0] : value);
}

function resolveAlias(fields: FieldMap, alias: FieldAlias): unknown {
  if (typeof alias === "string") return fields.get(lowerCaseName(alias));
  if (Array.isArray(alias)) {
    for (const source of alias) if (fields.has(lowerCaseName(source))) return fields.get(lowerCaseName(source));
    return undefined;
  }
  let missing = false;
  const text = alias.template.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    const value = fieldText(fields, name);
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? undefined : text;
}

/** Each alias set's entries with the Sigma field name folded, listed once rather than for every record. */
const aliasEntries = new WeakMap<Record<string, FieldAlias>, readonly (readonly [string, FieldAlias])[]>();

function applyAliases(fields: FieldMap, aliases: Record<string, FieldAlias> | undefined): void {
  if (!aliases) return;
  let entries = aliasEntries.get(aliases);
  if (entries === undefined) {
    entries = Object.entries(aliases).map(([sigmaField, alias]) => [lowerCaseName(sigmaField), alias] as const);
    aliasEntries.set(aliases, entries);
  }
  for (let i = 0; i < entries.length; i++) {
    const [field, alias] = entries[i]!;
    if (fields.has(field)) continue;
    const value = resolveAlias(fields, alias);
    if (value !== undefined) fields.set(field, value);
  }
}

function matchesCondition(fields: FieldMap, field: string, expected: unknown): boolean {
  const actual = fieldText(fields, field)?.toLowerCase();
  const options = Array.isArray(expected) ? expected : [expected];
  return actual !== undefined && options.some((option) => String(option).toLowerCase() === actual);
}

/** The text the service is read from (a field, or a template over fields); undefined when the mapping names no such field. */
function serviceText(fields: FieldMap, mapping: LogSourceMapping): string | undefined {
  const from = mapping.serviceFrom;
  if (!from) return undefined;
  return from.template ? (resolveAlias(fields, { template: from.template }) as string | undefined) : fieldText(fields, from.field);
}

function resolveServices(text: string | undefined, mapping: LogSourceMapping): string[] {
  const services = [...(mapping.services ?? [])];
  const from = mapping.serviceFrom;
  const key = text?.toLowerCase();
  if (from && key !== undefined) {
    const service = from.values ? from.values[key] : key;
    if (service !== undefined) services.push(service);
  }
  return services;
}

interface CategoryIndex {
  byEventId: Map<string, CategoryMapping[]>;
  withoutEventIds: CategoryMapping[];
  /** Each entry's place in the mapping's list. */
  positions: Map<CategoryMapping, number>;
}

const categoryIndexes = new WeakMap<LogSourceMapping, CategoryIndex>();

/** A mapping's category entries by the EventIDs they admit, built once per mapping. */
function categoryIndex(mapping: LogSourceMapping): CategoryIndex {
  let index = categoryIndexes.get(mapping);
  if (!index) {
    const positions = new Map((mapping.categories ?? []).map((c, i) => [c, i]));
    const built: CategoryIndex = { byEventId: new Map(), withoutEventIds: [], positions };
    for (const category of mapping.categories ?? []) {
      if (!category.eventIds) {
        built.withoutEventIds.push(category);
        continue;
      }
      for (const id of category.eventIds) {
        const key = String(id).toLowerCase();
        built.byEventId.set(key, [...(built.byEventId.get(key) ?? []), category]);
      }
    }
    for (const [key, list] of built.byEventId) {
      built.byEventId.set(key, [...list, ...built.withoutEventIds].sort((a, b) => positions.get(a)! - positions.get(b)!));
    }
    categoryIndexes.set(mapping, built);
    index = built;
  }
  return index;
}

/** The category entries whose EventID list admits `eventId` (or that have none), in mapping order. */
function categoryCandidates(mapping: LogSourceMapping, eventId: string | undefined): CategoryMapping[] {
  const index = categoryIndex(mapping);
  return (eventId === undefined ? undefined : index.byEventId.get(eventId)) ?? index.withoutEventIds;
}

function timestampOf(fields: FieldMap, mapping: LogSourceMapping): number | undefined {
  for (const field of mapping.timestamp ?? []) {
    const time = parseTimestamp(fields.get(lowerCaseName(field)));
    if (time !== undefined) return time;
  }
  return undefined;
}

function flatten(record: unknown, mapping: LogSourceMapping): FieldMap[] {
  switch (mapping.format) {
    case "evtx":
      return [flattenEvtx(record)];
    case "gworkspace":
      return explodeGworkspace(record);
    case "auditd":
      return [flattenAuditd(record)];
    case "syslog":
      return [flattenSyslog(record)];
    case "json":
    case "journald": {
      const fields: FieldMap = new Map();
      flattenJson(record, "", fields);
      flattenNameValueArrays(record, mapping.nameValueArrays ?? [], fields);
      return [fields];
    }
  }
}

/** Where a record belongs, and the category aliases to apply to it. */
interface Classification {
  logsource: EventLogSource;
  aliasSets: Record<string, FieldAlias>[];
}

/**
 * Classifications of records whose category depends on field conditions (`when`): by the lower-cased texts of the
 * fields those conditions read.
 */
interface ConditionalClassifications {
  conditionFields: readonly string[];
  byConditionValues: Map<string, Classification>;
}

/**
 * Per mapping: classifications by service text, then by raw EventID value; for records a field condition took part in
 * (Sysmon 12 is registry_add or registry_delete by its EventType), then by the values those conditions read. Records are
 * then classified without matching any condition again.
 */
const classifications = new WeakMap<LogSourceMapping, Map<string | undefined, Map<unknown, Classification | ConditionalClassifications>>>();

function conditionValues(fields: FieldMap, conditionFields: readonly string[]): string {
  let key = "";
  // Length-prefixed, so that values cannot run into each other; absent fields are told apart from empty ones.
  for (const field of conditionFields) {
    const text = fieldText(fields, field)?.toLowerCase();
    key += text === undefined ? "-" : `${text.length}:${text}`;
  }
  return key;
}

/**
 * Per mapping: one classification per outcome (the services and the category entries a record matched), so that
 * records classified alike share one frozen logsource object, which the engine finds its rule buckets by, whether or
 * not a field condition took part (Sysmon 12 is registry_add or registry_delete by its EventType).
 */
const outcomes = new WeakMap<LogSourceMapping, Map<string, Classification>>();
const CLASSIFICATION_LIMIT = 10_000;
/** Longest key of condition values cached (the lower-cased texts of the fields the conditions read). */
const CONDITION_VALUES_LIMIT = 256;

function sharedClassification(mapping: LogSourceMapping, services: string[], matched: readonly CategoryMapping[]): Classification {
  let byOutcome = outcomes.get(mapping);
  if (byOutcome === undefined) outcomes.set(mapping, (byOutcome = new Map()));
  // Services may hold record text: length-prefixed, they cannot run into each other or into the entry positions.
  const positions = categoryIndex(mapping).positions;
  const key = `${services.map((service) => `${service.length}:${service}`).join("")}|${matched.map((category) => positions.get(category)).join(",")}`;
  const known = byOutcome.get(key);
  if (known !== undefined) return known;
  // Frozen, so no consumer can change another record's log source.
  const categories = Object.freeze(matched.map((category) => category.category));
  const classification: Classification = {
    logsource: Object.freeze({ product: mapping.product, services: Object.freeze(services), categories }),
    aliasSets: matched.flatMap((category) => (category.aliases ? [category.aliases] : [])),
  };
  if (byOutcome.size < CLASSIFICATION_LIMIT) byOutcome.set(key, classification);
  return classification;
}

function classify(fields: FieldMap, mapping: LogSourceMapping): Classification {
  const text = serviceText(fields, mapping);
  const rawEventId = fields.get("eventid");
  let byService = classifications.get(mapping);
  if (byService === undefined) classifications.set(mapping, (byService = new Map()));
  let byEventId = byService.get(text);
  const cached = byEventId?.get(rawEventId);
  if (cached !== undefined && !("conditionFields" in cached)) return cached;
  const known = cached?.byConditionValues.get(conditionValues(fields, cached.conditionFields));
  if (known !== undefined) return known;

  const services = resolveServices(text, mapping);
  const matched: CategoryMapping[] = [];
  const conditionFields = new Set<string>();
  /** Whether a condition read fields after aliases were applied: its outcome then depends on more than the record's own values. */
  let aliasedCondition = false;
  const eventId = fieldText(fields, "EventID")?.toLowerCase();
  for (const category of categoryCandidates(mapping, eventId)) {
    if (category.service !== undefined && !services.includes(category.service)) continue;
    if (category.when) {
      for (const field of Object.keys(category.when)) conditionFields.add(field);
      // A condition may read a field that an earlier category's aliases provide.
      for (const earlier of matched) {
        if (!earlier.aliases) continue;
        applyAliases(fields, earlier.aliases);
        aliasedCondition = true;
      }
      if (!Object.entries(category.when).every(([field, expected]) => matchesCondition(fields, field, expected))) continue;
    }
    matched.push(category);
  }
  const classification = sharedClassification(mapping, services, matched);
  if ((rawEventId === undefined || typeof rawEventId !== "object") && byService.size < CLASSIFICATION_LIMIT && !aliasedCondition) {
    if (byEventId === undefined) byService.set(text, (byEventId = new Map()));
    if (byEventId.size >= CLASSIFICATION_LIMIT) return classification;
    if (conditionFields.size === 0) byEventId.set(rawEventId, classification);
    else {
      const conditional = cached ?? { conditionFields: [...conditionFields], byConditionValues: new Map() };
      const values = conditionValues(fields, conditional.conditionFields);
      // Condition values are record text: long ones would let hostile records fill memory with keys.
      if (conditional.byConditionValues.size < CLASSIFICATION_LIMIT && values.length <= CONDITION_VALUES_LIMIT) conditional.byConditionValues.set(values, classification);
      byEventId.set(rawEventId, conditional);
    }
  }
  return classification;
}

/** Applies a mapping to one raw record; Google Workspace activities with several events give several SigmaEvents. */
export function normalizeRecord(record: unknown, mapping: LogSourceMapping): SigmaEvent[] {
  return flatten(record, mapping).map((fields) => {
    applyAliases(fields, mapping.aliases);
    const { logsource, aliasSets } = classify(fields, mapping);
    for (const aliases of aliasSets) applyAliases(fields, aliases);
    return new SigmaEvent(fields, logsource, record, () => timestampOf(fields, mapping));
  });
}

export class UnknownLogSourceError extends Error {
  override readonly name = "UnknownLogSourceError";
}

/** Looks up a built-in mapping by name (windows, m365-audit, entra-signin, entra-audit, azure-activity, gworkspace, linux-auditd, linux-syslog, linux-journald, corvid-browser). */
export function builtinMapping(name: string): LogSourceMapping {
  const mapping = BUILTIN_MAPPINGS[name];
  if (!mapping) throw new UnknownLogSourceError(`unknown log source mapping "${name}"; known: ${Object.keys(BUILTIN_MAPPINGS).join(", ")}`);
  return mapping;
}

/** Picks the built-in mapping for a record by its shape, for inputs of unknown origin (ad-hoc triage). */
export function guessMapping(record: unknown): LogSourceMapping | undefined {
  if (typeof record === "string") return builtinMapping(/msg=audit\(/.test(record) ? "linux-auditd" : "linux-syslog");
  if (!isRecord(record)) return undefined;
  if (isRecord(record["Event"]) || isRecord(record["System"])) return builtinMapping("windows");
  if (record["kind"] === "admin#reports#activity" || (isRecord(record["id"]) && "applicationName" in record["id"])) return builtinMapping("gworkspace");
  if ("auditData" in record || ("Operation" in record && ("Workload" in record || "RecordType" in record))) return builtinMapping("m365-audit");
  if ("serviceSource" in record && "title" in record) return builtinMapping("m365-audit");
  if ("authorization" in record || ("resourceId" in record && "operationName" in record && "eventTimestamp" in record)) return builtinMapping("azure-activity");
  const category = String(record["category"] ?? "").toLowerCase();
  // Diagnostic-settings categories: SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs, AuditLogs.
  if (category.endsWith("signinlogs") || ("appDisplayName" in record && "status" in record && "userPrincipalName" in record)) return builtinMapping("entra-signin");
  const body = isRecord(record["properties"]) ? record["properties"] : record;
  if (category === "auditlogs" || ("activityDisplayName" in body && "loggedByService" in body)) return builtinMapping("entra-audit");
  if ("MESSAGE" in record && ("__REALTIME_TIMESTAMP" in record || "_PID" in record)) return builtinMapping("linux-journald");
  const dataset = isRecord(record["event"]) ? String(record["event"]["dataset"] ?? "") : "";
  if (dataset.startsWith("browser")) return builtinMapping("corvid-browser");
  return undefined;
}
