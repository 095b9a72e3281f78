/**
 * A small JSON Schema (draft 2020-12) validator covering the keywords the Sigma specification schemas use.
 * Written in-house because code-generating validators need `new Function`, which MV3 extension pages forbid.
 * Unknown keywords are ignored, as the JSON Schema specification requires.
 */

export type JsonSchema = { [keyword: string]: unknown } | boolean;

export interface SchemaViolation {
  /** Path of keys/indexes from the document root to the offending value. */
  path: (string | number)[];
  message: string;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, expected: string): boolean {
  const actual = typeOf(value);
  return actual === expected || (expected === "number" && actual === "integer");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Describes a branch list made only of `const` values as "one of: a, b, c" so messages stay readable. */
function constChoices(branches: unknown[]): string | undefined {
  const values: unknown[] = [];
  for (const branch of branches) {
    if (!isObject(branch) || !("const" in branch)) return undefined;
    values.push(branch["const"]);
  }
  return values.map((v) => JSON.stringify(v)).join(", ");
}

export function validateJsonSchema(schema: JsonSchema, value: unknown): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  validateAt(schema, value, [], violations);
  return violations;
}

function validateAt(schema: JsonSchema, value: unknown, path: (string | number)[], out: SchemaViolation[]): void {
  if (schema === true) return;
  if (schema === false) {
    out.push({ path, message: "is not allowed here" });
    return;
  }
  const fail = (message: string) => out.push({ path, message });

  const type = schema["type"];
  if (typeof type === "string" || Array.isArray(type)) {
    const types = Array.isArray(type) ? (type as string[]) : [type];
    if (!types.some((t) => matchesType(value, t))) {
      fail(`must be of type ${types.join(" or ")}, found ${typeOf(value)}`);
      return;
    }
  }
  if ("const" in schema && !deepEqual(schema["const"], value)) fail(`must equal ${JSON.stringify(schema["const"])}`);
  if (Array.isArray(schema["enum"]) && !schema["enum"].some((e) => deepEqual(e, value))) {
    fail(`must be one of ${schema["enum"].map((e) => JSON.stringify(e)).join(", ")}`);
  }

  if (typeof value === "string") validateString(schema, value, fail);
  if (Array.isArray(value)) validateArray(schema, value, path, out, fail);
  if (isObject(value)) validateObject(schema, value, path, out, fail);

  validateCombinators(schema, value, path, out, fail);
}

function validateString(schema: Record<string, unknown>, value: string, fail: (m: string) => void): void {
  const length = [...value].length;
  if (typeof schema["maxLength"] === "number" && length > schema["maxLength"]) fail(`is longer than ${schema["maxLength"]} characters`);
  if (typeof schema["minLength"] === "number" && length < schema["minLength"]) fail(`is shorter than ${schema["minLength"]} characters`);
  if (typeof schema["pattern"] === "string" && !new RegExp(schema["pattern"], "u").test(value)) {
    fail(`${JSON.stringify(value)} does not match the pattern ${schema["pattern"]}`);
  }
  if (schema["format"] === "uuid" && !UUID_PATTERN.test(value)) fail(`${JSON.stringify(value)} is not a UUID`);
}

function validateArray(
  schema: Record<string, unknown>,
  value: unknown[],
  path: (string | number)[],
  out: SchemaViolation[],
  fail: (m: string) => void,
): void {
  if (typeof schema["minItems"] === "number" && value.length < schema["minItems"]) fail(`must have at least ${schema["minItems"]} items`);
  if (typeof schema["maxItems"] === "number" && value.length > schema["maxItems"]) fail(`must have at most ${schema["maxItems"]} items`);
  if (schema["uniqueItems"] === true) {
    const seen = new Set<string>();
    for (const item of value) {
      const key = JSON.stringify(item);
      if (seen.has(key)) fail(`contains the duplicate item ${key}`);
      seen.add(key);
    }
  }
  const items = schema["items"];
  if (isObject(items) || typeof items === "boolean") {
    value.forEach((item, index) => validateAt(items as JsonSchema, item, [...path, index], out));
  }
}

function validateObject(
  schema: Record<string, unknown>,
  value: Record<string, unknown>,
  path: (string | number)[],
  out: SchemaViolation[],
  fail: (m: string) => void,
): void {
  const required = schema["required"];
  if (Array.isArray(required)) {
    for (const key of required) if (typeof key === "string" && !(key in value)) fail(`is missing the required key "${key}"`);
  }
  const properties = isObject(schema["properties"]) ? schema["properties"] : {};
  const additional = schema["additionalProperties"];
  for (const [key, child] of Object.entries(value)) {
    const propertySchema = properties[key];
    if (propertySchema !== undefined) validateAt(propertySchema as JsonSchema, child, [...path, key], out);
    else if (additional !== undefined) validateAt(additional as JsonSchema, child, [...path, key], out);
  }
}

function validateCombinators(
  schema: Record<string, unknown>,
  value: unknown,
  path: (string | number)[],
  out: SchemaViolation[],
  fail: (m: string) => void,
): void {
  const passes = (branch: unknown) => validateJsonSchema(branch as JsonSchema, value).length === 0;
  const allOf = schema["allOf"];
  if (Array.isArray(allOf)) for (const branch of allOf) validateAt(branch as JsonSchema, value, path, out);

  const anyOf = schema["anyOf"];
  if (Array.isArray(anyOf) && !anyOf.some(passes)) {
    const choices = constChoices(anyOf);
    fail(choices ? `must be one of ${choices}` : "does not match any of the allowed forms");
  }
  const oneOf = schema["oneOf"];
  if (Array.isArray(oneOf)) {
    const matching = oneOf.filter(passes).length;
    if (matching !== 1) {
      const choices = constChoices(oneOf);
      fail(choices ? `must be one of ${choices}` : `must match exactly one allowed form, matched ${matching}`);
    }
  }
  if ("if" in schema) {
    const branch = passes(schema["if"]) ? schema["then"] : schema["else"];
    if (branch !== undefined) validateAt(branch as JsonSchema, value, path, out);
  }
}
