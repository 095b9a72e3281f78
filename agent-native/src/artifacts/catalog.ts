import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ArtifactDefinition, parameterValueMatchesType, type ParameterValues } from "@corvid/protocol";
import { parse as parseYaml } from "yaml";
import { sourceRegistry, type RegisteredSource } from "../sources/registry.ts";

/** A definition file that does not describe an artifact this agent can collect. */
export class ArtifactDefinitionError extends Error {
  readonly file: string;
  readonly issues: string[];

  constructor(file: string, issues: string[]) {
    super(`${file}: ${issues.join("; ")}`);
    this.name = "ArtifactDefinitionError";
    this.file = file;
    this.issues = issues;
  }
}

export interface LoadedArtifact {
  definition: ArtifactDefinition;
  source: RegisteredSource;
  file: string;
}

export type ArtifactCatalog = ReadonlyMap<string, LoadedArtifact>;

/**
 * Validates one definition: the protocol schema, a registered source kind, and source arguments that the
 * kind accepts with every parameter at its default.
 */
export function validateArtifactDefinition(file: string, document: unknown): LoadedArtifact {
  const parsed = ArtifactDefinition.safeParse(document);
  if (!parsed.success) {
    throw new ArtifactDefinitionError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(document)"}: ${issue.message}`),
    );
  }
  const definition = parsed.data;
  const source = sourceRegistry.get(definition.source.kind);
  if (!source) {
    throw new ArtifactDefinitionError(file, [
      `source.kind: unknown kind ${JSON.stringify(definition.source.kind)} (known: ${[...sourceRegistry.keys()].join(", ")})`,
    ]);
  }
  const argumentIssues = source.checkArgs(sourceArguments(definition, {}));
  if (argumentIssues.length > 0) throw new ArtifactDefinitionError(file, argumentIssues.map((issue) => `source.parameters.${issue}`));
  return { definition, source, file };
}

/** A task asked for a parameter the artifact does not declare, or gave it a value of the wrong type. */
export class ArtifactParameterError extends Error {
  constructor(artifact: string, message: string) {
    super(`${artifact}: ${message}`);
    this.name = "ArtifactParameterError";
  }
}

/**
 * Arguments for the source: fixed `source.parameters`, then parameter defaults, then what the task asks
 * for. Tasks may only set declared parameters, so a console cannot point a source at arbitrary paths.
 */
export function sourceArguments(definition: ArtifactDefinition, requested: ParameterValues): ParameterValues {
  const declared = new Map((definition.parameters ?? []).map((parameter) => [parameter.name, parameter]));
  for (const [name, value] of Object.entries(requested)) {
    const parameter = declared.get(name);
    if (!parameter) throw new ArtifactParameterError(definition.name, `unknown parameter ${JSON.stringify(name)}`);
    if (!parameterValueMatchesType(parameter.type, value)) {
      throw new ArtifactParameterError(definition.name, `parameter ${name} expects ${parameter.type}`);
    }
  }
  const defaults = Object.fromEntries(
    (definition.parameters ?? []).flatMap((parameter) => (parameter.default === undefined ? [] : [[parameter.name, parameter.default]])),
  );
  return { ...definition.source.parameters, ...defaults, ...requested };
}

/** Parses and validates YAML text; `file` is only used in error messages. */
export function parseArtifactYaml(file: string, text: string): LoadedArtifact {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ArtifactDefinitionError(file, [`not valid YAML: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const loaded = validateArtifactDefinition(file, document);
  const expectedFile = `${loaded.definition.name}.yaml`;
  if (basename(file) !== expectedFile && file.endsWith(".yaml")) {
    throw new ArtifactDefinitionError(file, [`file name must be ${expectedFile}`]);
  }
  return loaded;
}

/** Builds a catalog from already-read files, rejecting duplicate names. */
export function buildCatalog(files: ReadonlyArray<{ file: string; text: string }>): ArtifactCatalog {
  const catalog = new Map<string, LoadedArtifact>();
  for (const { file, text } of files) {
    const loaded = parseArtifactYaml(file, text);
    const existing = catalog.get(loaded.definition.name);
    if (existing) throw new ArtifactDefinitionError(file, [`name ${loaded.definition.name} is already defined in ${existing.file}`]);
    catalog.set(loaded.definition.name, loaded);
  }
  return catalog;
}

/** Loads every `*.yaml` of a directory; one bad definition fails the whole load. */
export async function loadArtifactCatalog(dir: string): Promise<ArtifactCatalog> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".yaml")).sort();
  const files = await Promise.all(names.map(async (name) => ({ file: join(dir, name), text: await readFile(join(dir, name), "utf8") })));
  return buildCatalog(files);
}
