// Generates the two Prisma clients (SQLite and PostgreSQL) fully offline.
// A client generated for one provider refuses the other provider's driver adapter, so the
// PostgreSQL schema is derived from the canonical SQLite schema and generated separately.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const canonicalSchemaPath = path.join(consoleDir, "prisma/schema.prisma");
const postgresSchemaPath = path.join(consoleDir, "prisma/postgresql/schema.prisma");

/** Derives the PostgreSQL schema text from the canonical SQLite schema text. */
export function toPostgresSchema(sqliteSchema) {
  const body = sqliteSchema.replace(/^(\/\/.*\n)+/, "");
  const swapped = body
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace('output   = "../app/generated/sqlite"', 'output   = "../../app/generated/postgresql"');
  if (swapped === body || !swapped.includes("generated/postgresql")) {
    throw new Error("prisma-generate: could not derive the PostgreSQL schema (provider or output line changed?)");
  }
  return `// GENERATED from ../schema.prisma by scripts/prisma-generate.mjs: do not edit.\n${swapped}`;
}

function generate(schemaPath) {
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  execFileSync(process.execPath, [prismaCli, "generate", "--schema", schemaPath], {
    cwd: consoleDir,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      PRISMA_SCHEMA_ENGINE_BINARY: path.join(consoleDir, "scripts/no-schema-engine.sh"),
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(path.dirname(postgresSchemaPath), { recursive: true });
  writeFileSync(postgresSchemaPath, toPostgresSchema(readFileSync(canonicalSchemaPath, "utf8")));
  generate(canonicalSchemaPath);
  generate(postgresSchemaPath);
  console.log("prisma: generated app/generated/sqlite and app/generated/postgresql");
}
