import { fileURLToPath } from "node:url";
import { buildCatalog, loadArtifactCatalog, type ArtifactCatalog } from "./artifacts/catalog.ts";

/** Name of the single-executable asset holding the definitions (see scripts/build-sea.ts). */
export const EMBEDDED_ARTIFACTS_ASSET = "artifacts.json";

/**
 * The artifact definitions this agent collects: `--artifacts DIR` if given, else the ones embedded in the
 * single executable, else `artifacts/linux` of the source checkout.
 */
export async function loadDefaultCatalog(dir?: string): Promise<ArtifactCatalog> {
  if (dir !== undefined) return loadArtifactCatalog(dir);
  const embedded = await embeddedDefinitions();
  if (embedded) return buildCatalog(embedded);
  return loadArtifactCatalog(fileURLToPath(new URL("../../artifacts/linux", import.meta.url)));
}

async function embeddedDefinitions(): Promise<Array<{ file: string; text: string }> | null> {
  let sea: typeof import("node:sea");
  try {
    sea = await import("node:sea");
  } catch {
    return null;
  }
  if (!sea.isSea()) return null;
  return JSON.parse(sea.getAsset(EMBEDDED_ARTIFACTS_ASSET, "utf8")) as Array<{ file: string; text: string }>;
}
