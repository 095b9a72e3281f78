// Builds agent-native/dist/corvid-agent: the agent bundled to one CommonJS file, the artifact definitions as
// an embedded asset, injected into a copy of this Node binary (Node single executable applications).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { inject } from "postject";
import { buildCatalog } from "../src/artifacts/catalog.ts";
import { EMBEDDED_ARTIFACTS_ASSET } from "../src/default-catalog.ts";

const packageDir = resolve(import.meta.dirname, "..");
const distDir = join(packageDir, "dist");
const artifactsDir = resolve(packageDir, "../artifacts/linux");
const bundlePath = join(distDir, "corvid-agent.cjs");
const assetPath = join(distDir, EMBEDDED_ARTIFACTS_ASSET);
const blobPath = join(distDir, "sea-prep.blob");
const executablePath = join(distDir, "corvid-agent");
/** Fixed by Node for single executable applications. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });

const definitions = readdirSync(artifactsDir)
  .filter((name) => name.endsWith(".yaml"))
  .sort()
  .map((name) => ({ file: name, text: readFileSync(join(artifactsDir, name), "utf8") }));
buildCatalog(definitions); // fail the build, not the agent, on a bad definition
writeFileSync(assetPath, JSON.stringify(definitions));

await build({
  entryPoints: [join(packageDir, "src/sea-main.ts")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outfile: bundlePath,
  // `import.meta.url` has no CommonJS meaning; point it at the bundle so paths relative to the source still resolve.
  define: { "import.meta.url": "__corvidBundleUrl" },
  banner: { js: 'const __corvidBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});

const seaConfigPath = join(distDir, "sea-config.json");
writeFileSync(
  seaConfigPath,
  JSON.stringify({ main: bundlePath, output: blobPath, disableExperimentalSEAWarning: true, assets: { [EMBEDDED_ARTIFACTS_ASSET]: assetPath } }),
);
execFileSync(process.execPath, ["--experimental-sea-config", seaConfigPath], { stdio: "inherit" });
copyFileSync(process.execPath, executablePath);
await inject(executablePath, "NODE_SEA_BLOB", readFileSync(blobPath), { sentinelFuse: SEA_FUSE });
mkdirSync(dirname(executablePath), { recursive: true });
console.log(`built ${executablePath} (${Math.round(statSync(executablePath).size / 1048576)} MiB, ${definitions.length} artifact definitions embedded)`);
