import { resolve } from "node:path";
import type { ParameterValues } from "@corvid/protocol";
import { loadArtifactCatalog, type ArtifactCatalog, type LoadedArtifact } from "../src/artifacts/catalog.ts";
import { collectRows } from "../src/collect.ts";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const linuxArtifactsDir = resolve(repoRoot, "artifacts/linux");

let catalog: Promise<ArtifactCatalog> | undefined;

export function linuxCatalog(): Promise<ArtifactCatalog> {
  catalog ??= loadArtifactCatalog(linuxArtifactsDir);
  return catalog;
}

/**
 * Runs an artifact from the real catalog with some source arguments replaced (e.g. paths to fixtures):
 * declared parameters are passed as a task would, the others replace fixed `source.parameters`.
 */
export async function collectWith(name: string, overrides: ParameterValues = {}) {
  const loaded = (await linuxCatalog()).get(name);
  if (!loaded) throw new Error(`no artifact ${name}`);
  const declared = new Set((loaded.definition.parameters ?? []).map((parameter) => parameter.name));
  const requested = Object.fromEntries(Object.entries(overrides).filter(([key]) => declared.has(key)));
  const sourceParameters = Object.fromEntries(Object.entries(overrides).filter(([key]) => !declared.has(key)));
  const adjusted: LoadedArtifact = {
    ...loaded,
    definition: { ...loaded.definition, source: { ...loaded.definition.source, parameters: { ...loaded.definition.source.parameters, ...sourceParameters } } },
  };
  return collectRows(adjusted, requested);
}
