// `npm run db:migration -- <name>`: the offline replacement for `prisma migrate dev --create-only`.
// Diffs the schema as of the last migration (prisma/migrations/schema.snapshot.prisma) against
// prisma/schema.prisma and writes one migration per provider, then updates the snapshot.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PROVIDERS, diffSql } from "./schema-engine.ts";

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const migrationsDir = path.join(consoleDir, "prisma/migrations");
const snapshotPath = path.join(migrationsDir, "schema.snapshot.prisma");

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("usage: npm run db:migration -- <name>   (lower case letters, digits and _)");
    process.exit(2);
  }
  const schema = readFileSync(path.join(consoleDir, "prisma/schema.prisma"), "utf8");
  const snapshot = existsSync(snapshotPath) ? readFileSync(snapshotPath, "utf8") : null;
  const sqlByProvider = await Promise.all(PROVIDERS.map((provider) => diffSql(provider, snapshot, schema)));
  if (sqlByProvider.every((sql) => sql === "")) {
    console.log("schema unchanged: no migration written");
    return;
  }
  const directoryName = `${timestamp(new Date())}_${name}`;
  PROVIDERS.forEach((provider, i) => {
    const dir = path.join(migrationsDir, provider, directoryName);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "migration.sql"), sqlByProvider[i] || "-- nothing to do for this provider\n");
    console.log(`wrote prisma/migrations/${provider}/${directoryName}/migration.sql`);
  });
  writeFileSync(snapshotPath, schema);
}

// The Wasm engine keeps a timer alive; exit explicitly once done.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
