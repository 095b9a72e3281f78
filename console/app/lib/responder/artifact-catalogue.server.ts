import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ArtifactDefinition } from "@corvid/protocol";

/**
 * The declarative artifacts responders can collect, read from the repository's `artifacts/<platform>/*.yaml`
 * (the same files the agents use), validated with the protocol's `ArtifactDefinition`.
 */
export interface ArtifactCatalogue {
  readonly artifacts: readonly ArtifactDefinition[];
  get(name: string): ArtifactDefinition | undefined;
}

export class ArtifactCatalogueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactCatalogueError";
  }
}

/** `CORVID_ARTIFACTS_DIR`, else the nearest `artifacts/` folder from the working directory upwards. */
export function resolveArtifactsDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.CORVID_ARTIFACTS_DIR) return path.resolve(env.CORVID_ARTIFACTS_DIR);
  let dir = cwd;
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, "artifacts");
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export async function loadArtifactCatalogue(artifactsDir: string | undefined): Promise<ArtifactCatalogue> {
  const artifacts: ArtifactDefinition[] = [];
  if (artifactsDir && existsSync(artifactsDir)) {
    for (const platformDir of (await readdir(artifactsDir, { withFileTypes: true })).filter((entry) => entry.isDirectory())) {
      const dir = path.join(artifactsDir, platformDir.name);
      for (const file of (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort()) {
        artifacts.push(parseArtifactFile(path.join(dir, file), await readFile(path.join(dir, file), "utf8")));
      }
    }
  }
  artifacts.sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(artifacts.map((artifact) => [artifact.name, artifact]));
  if (byName.size !== artifacts.length) throw new ArtifactCatalogueError(`duplicate artifact names in ${artifactsDir}`);
  return { artifacts, get: (name) => byName.get(name) };
}

function parseArtifactFile(file: string, text: string): ArtifactDefinition {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ArtifactCatalogueError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const parsed = ArtifactDefinition.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactCatalogueError(`${file}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

let processCatalogue: Promise<ArtifactCatalogue> | undefined;

/** The catalogue for this process, loaded once. */
export function getArtifactCatalogue(): Promise<ArtifactCatalogue> {
  processCatalogue ??= loadArtifactCatalogue(resolveArtifactsDir()).catch((error) => {
    processCatalogue = undefined;
    throw error;
  });
  return processCatalogue;
}
