import { z } from "zod";
import { ProtocolError } from "../errors.ts";
import { ArtifactName, FieldName, ParameterValue, ParameterValues, Platform, Text } from "./common.ts";

export const ColumnType = z.enum(["string", "int", "float", "bool", "timestamp", "json"]);

export const ArtifactColumn = z.object({
  name: FieldName,
  type: ColumnType,
  description: Text.optional(),
});

export const ParameterType = z.enum(["string", "int", "float", "bool", "timestamp", "regex", "string_list"]);

/** Does `value` fit a parameter of this type? Timestamps are ISO 8601 strings, regexes must compile. */
export function parameterValueMatchesType(type: ParameterType, value: ParameterValue): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "float":
      return typeof value === "number" && Number.isFinite(value);
    case "bool":
      return typeof value === "boolean";
    case "timestamp":
      return typeof value === "string" && z.iso.datetime({ offset: true }).safeParse(value).success;
    case "regex":
      return typeof value === "string" && compiles(value);
    case "string_list":
      return Array.isArray(value);
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const ArtifactParameter = z
  .object({
    name: FieldName,
    type: ParameterType,
    default: ParameterValue.optional(),
    description: Text.optional(),
  })
  .refine((parameter) => parameter.default === undefined || parameterValueMatchesType(parameter.type, parameter.default), {
    message: "default does not match the parameter type",
    path: ["default"],
  });

export const ArtifactSource = z.object({
  /** Which implementation collects it, e.g. `linux.processes`; each collector registers the kinds it knows. */
  kind: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, "expected a dotted lowercase kind").max(64),
  parameters: ParameterValues.optional(),
});

function uniqueNames(items: readonly { name: string }[]): boolean {
  return new Set(items.map((item) => item.name)).size === items.length;
}

/** The declarative artifact definition (one YAML file per artifact). */
export const ArtifactDefinition = z.object({
  name: ArtifactName,
  description: Text,
  platforms: z.array(Platform).min(1).max(5).refine((platforms) => new Set(platforms).size === platforms.length, "platforms repeat"),
  source: ArtifactSource,
  parameters: z.array(ArtifactParameter).max(64).refine(uniqueNames, "parameter names repeat").optional(),
  columns: z.array(ArtifactColumn).min(1).max(256).refine(uniqueNames, "column names repeat"),
});

/**
 * The parameter values an artifact runs with: the task's values over the definition's defaults.
 * Throws ProtocolError("invalid-argument") naming every unknown or mistyped parameter.
 */
export function resolveArtifactParameters(
  definition: ArtifactDefinition,
  supplied: ParameterValues = {},
): Record<string, ParameterValue> {
  const declared = new Map((definition.parameters ?? []).map((parameter) => [parameter.name, parameter]));
  const problems: string[] = [];
  const resolved: Record<string, ParameterValue> = {};
  for (const parameter of declared.values()) if (parameter.default !== undefined) resolved[parameter.name] = parameter.default;
  for (const [name, value] of Object.entries(supplied)) {
    const parameter = declared.get(name);
    if (!parameter) problems.push(`unknown parameter ${name}`);
    else if (!parameterValueMatchesType(parameter.type, value)) problems.push(`parameter ${name} must be of type ${parameter.type}`);
    else resolved[name] = value;
  }
  if (problems.length > 0) throw new ProtocolError("invalid-argument", `${definition.name}: ${problems.join("; ")}`);
  return resolved;
}

export type ColumnType = z.infer<typeof ColumnType>;
export type ArtifactColumn = z.infer<typeof ArtifactColumn>;
export type ParameterType = z.infer<typeof ParameterType>;
export type ArtifactParameter = z.infer<typeof ArtifactParameter>;
export type ArtifactSource = z.infer<typeof ArtifactSource>;
export type ArtifactDefinition = z.infer<typeof ArtifactDefinition>;
