// Writes packages/protocol/schema/*.json from the zod schemas: `npx tsx packages/protocol/scripts/generate-json-schema.ts`.
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderJsonSchemas } from "../src/index.ts";

const schemaDir = fileURLToPath(new URL("../schema/", import.meta.url));
const files = renderJsonSchemas();

await mkdir(schemaDir, { recursive: true });
for (const existing of await readdir(schemaDir)) {
  if (existing.endsWith(".json") && !(existing in files)) await rm(`${schemaDir}${existing}`);
}
for (const [name, text] of Object.entries(files)) await writeFile(`${schemaDir}${name}`, text);
console.log(`wrote ${Object.keys(files).length} JSON Schema files to ${schemaDir}`);
