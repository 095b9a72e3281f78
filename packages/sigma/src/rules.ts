import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { parseCorrelation, type CorrelationSpec } from "./correlation-spec.ts";
import { compileDetection, type CompiledDetection, type CompileOptions } from "./detection.ts";
import { SigmaCompileError, SigmaRuleError } from "./errors.ts";
import { validateJsonSchema, type JsonSchema } from "./schema.ts";

export interface LogSource {
  product?: string;
  service?: string;
  category?: string;
}

export interface RuleMetadata {
  id?: string;
  name?: string;
  title: string;
  status?: string;
  level?: string;
  description?: string;
  author?: string;
  tags: string[];
}

/** Where a rule came from: file and the line its YAML document starts on. */
export interface RuleOrigin {
  file: string;
  line: number;
}

export interface DetectionRule {
  kind: "detection";
  meta: RuleMetadata;
  logsource: LogSource;
  detection: CompiledDetection;
  origin: RuleOrigin;
}

/** A Sigma filter: suppresses matches of the referenced rules when its own detection matches. */
export interface FilterRule {
  kind: "filter";
  meta: RuleMetadata;
  logsource: LogSource;
  targets: string[];
  detection: CompiledDetection;
  origin: RuleOrigin;
}

export interface CorrelationRule {
  kind: "correlation";
  meta: RuleMetadata;
  correlation: CorrelationSpec;
  origin: RuleOrigin;
}

export type SigmaRule = DetectionRule | FilterRule | CorrelationRule;

/** The JSON schemas of the Sigma specification (sigma-specification/json-schema). */
export interface SigmaSchemas {
  detection?: JsonSchema;
  correlation?: JsonSchema;
  filter?: JsonSchema;
}

export interface LoadOptions extends CompileOptions {
  schemas?: SigmaSchemas;
}

export interface ParsedRules {
  rules: SigmaRule[];
  errors: SigmaRuleError[];
  /** Number of YAML documents that could not be turned into a rule (each has at least one error). */
  rejected: number;
}

/** Finds the 1-based line of the key (or value) at `path` inside a YAML document. */
function lineOf(document: Document, path: (string | number)[], lineCounter: LineCounter): number | undefined {
  let node: unknown = document.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      offset = (node as Node | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describePath(path: (string | number)[]): string {
  return path.length === 0 ? "rule" : path.map((p) => (typeof p === "number" ? `[${p}]` : p)).join(".").replace(/\.\[/g, "[");
}

function readMetadata(document: Record<string, unknown>): RuleMetadata {
  const text = (key: string) => (typeof document[key] === "string" ? (document[key] as string) : undefined);
  const tags = Array.isArray(document["tags"]) ? document["tags"].filter((t): t is string => typeof t === "string") : [];
  return {
    id: text("id"),
    name: text("name"),
    title: text("title") ?? "",
    status: text("status"),
    level: text("level"),
    description: text("description"),
    author: text("author"),
    tags,
  };
}

function readLogSource(value: unknown, path: (string | number)[]): LogSource {
  if (!isRecord(value)) throw new SigmaCompileError(path, "logsource must be a map");
  const part = (key: string) => (typeof value[key] === "string" ? (value[key] as string).toLowerCase() : undefined);
  return { product: part("product"), service: part("service"), category: part("category") };
}

function splitDetection(detection: unknown, path: (string | number)[]): { identifiers: Record<string, unknown>; condition: unknown } {
  if (!isRecord(detection)) throw new SigmaCompileError(path, "must be a map of search identifiers and a condition");
  const { condition, ...identifiers } = detection;
  if (condition === undefined) throw new SigmaCompileError(path, 'is missing the "condition"');
  // `timeframe` belonged to the removed aggregation syntax; it is not a search identifier.
  delete identifiers["timeframe"];
  return { identifiers, condition };
}

function buildRule(document: Record<string, unknown>, origin: RuleOrigin, options: LoadOptions): SigmaRule {
  const meta = readMetadata(document);
  if ("correlation" in document) return { kind: "correlation", meta, correlation: parseCorrelation(document["correlation"], ["correlation"]), origin };
  if ("filter" in document) {
    const { rules: targets, ...filterBody } = isRecord(document["filter"]) ? document["filter"] : {};
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== "string")) {
      throw new SigmaCompileError(["filter", "rules"], "must list the ids or names of the rules to filter");
    }
    const { identifiers, condition } = splitDetection(filterBody, ["filter"]);
    return {
      kind: "filter",
      meta,
      logsource: readLogSource(document["logsource"], ["logsource"]),
      targets: targets as string[],
      detection: compileDetection(identifiers, condition, options, ["filter"]),
      origin,
    };
  }
  const { identifiers, condition } = splitDetection(document["detection"], ["detection"]);
  return {
    kind: "detection",
    meta,
    logsource: readLogSource(document["logsource"], ["logsource"]),
    detection: compileDetection(identifiers, condition, options, ["detection"]),
    origin,
  };
}

function schemaFor(document: Record<string, unknown>, schemas: SigmaSchemas | undefined): JsonSchema | undefined {
  if ("correlation" in document) return schemas?.correlation;
  if ("filter" in document) return schemas?.filter;
  return schemas?.detection;
}

/**
 * Merges Sigma 1 rule collections: an `action: global` document is merged into every following document,
 * `action: reset` clears it and `action: repeat` re-uses the previous document with changes.
 */
function deepMerge(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const existing = merged[key];
    merged[key] = isRecord(existing) && isRecord(value) ? deepMerge(existing, value) : value;
  }
  return merged;
}

/** Parses every YAML document in `text` into rules; bad documents become errors and never stop the others. */
export function parseSigmaRules(text: string, file: string, options: LoadOptions = {}): ParsedRules {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const result: ParsedRules = { rules: [], errors: [], rejected: 0 };
  const documentList = Array.isArray(documents) ? documents : [];
  let global: Record<string, unknown> = {};
  let previous: Record<string, unknown> | undefined;

  for (const document of documentList) {
    const startOffset = document.contents?.range?.[0] ?? 0;
    const origin: RuleOrigin = { file, line: lineCounter.linePos(startOffset).line };
    const errorCount = result.errors.length;
    const fail = (reason: string, path: (string | number)[] = [], line?: number) =>
      result.errors.push(new SigmaRuleError({ file, line: line ?? lineOf(document, path, lineCounter) ?? origin.line }, reason));
    const reject = () => {
      if (result.errors.length > errorCount) result.rejected++;
    };

    if (document.errors.length > 0) {
      for (const error of document.errors) {
        fail(`YAML: ${error.message.split(" at line")[0]!.split("\n")[0]}`, [], lineCounter.linePos(error.pos[0]).line);
      }
      reject();
      continue;
    }
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) {
      fail("a rule must be a YAML map");
      reject();
      continue;
    }
    const action = value["action"];
    if (action === "global") {
      const { action: _ignored, ...rest } = value;
      global = rest;
      continue;
    }
    if (action === "reset") {
      global = {};
      continue;
    }
    const { action: _action, ...body } = value;
    const merged = deepMerge(action === "repeat" && previous ? previous : global, body);
    previous = merged;

    const schema = schemaFor(merged, options.schemas);
    const violations = schema === undefined ? [] : validateJsonSchema(schema, merged);
    if (violations.length > 0) {
      for (const violation of violations) fail(`${describePath(violation.path)} ${violation.message}`, violation.path);
      reject();
      continue;
    }
    try {
      result.rules.push(buildRule(merged, origin, options));
    } catch (error) {
      if (!(error instanceof SigmaCompileError)) throw error;
      fail(`${describePath(error.path)}: ${error.reason}`, error.path);
      reject();
    }
  }
  if (documentList.length === 0) {
    result.errors.push(new SigmaRuleError({ file }, "no YAML documents"));
    result.rejected++;
  }
  return result;
}
