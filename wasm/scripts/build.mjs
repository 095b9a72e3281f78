// Compiles every AssemblyScript module under assembly/<format>/index.ts to build/<format>.wasm.
// Build output is never committed; the root `npm test` and `npm start` run this first.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "..", "node_modules", "assemblyscript", "bin", "asc.js");
const only = process.argv.slice(2);
mkdirSync(join(root, "build"), { recursive: true });

const formats = readdirSync(join(root, "assembly")).filter(
  (name) =>
    statSync(join(root, "assembly", name)).isDirectory() &&
    existsSync(join(root, "assembly", name, "index.ts")) &&
    (only.length === 0 || only.includes(name)),
);
for (const format of formats) {
  const started = Date.now();
  execFileSync(
    process.execPath,
    [
      asc,
      join("assembly", format, "index.ts"),
      "--outFile", join("build", `${format}.wasm`),
      "--textFile", join("build", `${format}.wat`),
      "-O3", "--noAssert", "--runtime", "incremental",
      "--exportRuntime", "--initialMemory", "2", "--maximumMemory", "16384",
    ],
    { cwd: root, stdio: "inherit" },
  );
  console.log(`wasm: built ${format}.wasm in ${Date.now() - started} ms`);
}
