// Proves the committed SQL migrations and prisma/schema.prisma describe the same database,
// on SQLite and on PostgreSQL, and guards the migrator's behaviour (see docs/decisions/002).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../db/migrator.js";
import { toPostgresSchema } from "../scripts/prisma-generate.mjs";
import { PROVIDERS, diffSql } from "../scripts/schema-engine.ts";
import { DATABASE_KINDS, createSqliteDatabase, tempDir } from "./helpers/databases.ts";
import { postgresStructure, sqliteStructure } from "./structure.ts";

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const schema = readFileSync(path.join(consoleDir, "prisma/schema.prisma"), "utf8");
const snapshot = readFileSync(path.join(consoleDir, "prisma/migrations/schema.snapshot.prisma"), "utf8");

/** A migrations root holding one migration per provider: the whole schema from empty. */
async function migrationsFromScratch(): Promise<{ root: string; remove(): void }> {
  const { dir, remove } = tempDir("corvid-direct-");
  for (const provider of PROVIDERS) {
    const target = path.join(dir, provider, "00000000000000_direct");
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, "migration.sql"), await diffSql(provider, null, schema));
  }
  return { root: dir, remove };
}

async function structureOf(url: string): Promise<Record<string, unknown>> {
  return url.startsWith("file:") ? sqliteStructure(url.slice("file:".length)) : postgresStructure(url);
}

describe("migrations agree with the schema", () => {
  it.each(PROVIDERS)("no schema change is missing a migration (%s)", async (provider) => {
    expect(await diffSql(provider, snapshot, schema)).toBe("");
  });

  it("the derived PostgreSQL schema file is current", () => {
    const committed = readFileSync(path.join(consoleDir, "prisma/postgresql/schema.prisma"), "utf8");
    expect(committed).toBe(toPostgresSchema(schema));
  });

  it.each(DATABASE_KINDS)("a database built by the committed migrations equals one built from the schema (%s)", async (_kind, create) => {
    const migrated = await create();
    const direct = await create();
    const scratch = await migrationsFromScratch();
    try {
      const applied = await migrate({ url: migrated.url });
      expect(applied.applied.length).toBeGreaterThan(0);
      await migrate({ url: direct.url, migrationsRoot: scratch.root });
      const migratedStructure = await structureOf(migrated.url);
      expect(Object.keys(migratedStructure).length).toBeGreaterThan(3);
      expect(migratedStructure).toEqual(await structureOf(direct.url));
    } finally {
      scratch.remove();
      await Promise.all([migrated.drop(), direct.drop()]);
    }
  });
});

describe("migrator", () => {
  it.each(DATABASE_KINDS)("is idempotent and refuses an edited migration (%s)", async (_kind, create) => {
    const database = await create();
    const { dir, remove } = tempDir("corvid-migrations-");
    try {
      cpSync(path.join(consoleDir, "prisma/migrations"), dir, { recursive: true });
      expect((await migrate({ url: database.url, migrationsRoot: dir })).applied.length).toBeGreaterThan(0);
      expect((await migrate({ url: database.url, migrationsRoot: dir })).applied).toEqual([]);

      const provider = database.url.startsWith("file:") ? "sqlite" : "postgresql";
      const first = readMigrations(provider, dir)[0]!;
      writeFileSync(path.join(dir, provider, first.name, "migration.sql"), `${first.sql}\n-- edited\n`);
      await expect(migrate({ url: database.url, migrationsRoot: dir })).rejects.toThrow(/edited after it was applied/);
    } finally {
      remove();
      await database.drop();
    }
  });

  it("keeps child rows when a SQLite migration redefines a parent table (cascade-delete guard)", async () => {
    const database = await createSqliteDatabase();
    const { dir, remove } = tempDir("corvid-migrations-");
    try {
      cpSync(path.join(consoleDir, "prisma/migrations"), dir, { recursive: true });
      await migrate({ url: database.url, migrationsRoot: dir });
      const file = database.url.slice("file:".length);
      const db = new Database(file);
      db.exec(`INSERT INTO "Organization" (id, name, slug) VALUES ('org1', 'Org', 'org');
               INSERT INTO "User" (id, organizationId, email, passwordHash) VALUES ('user1', 'org1', 'a@example.test', 'x');`);
      db.close();

      // A real schema change that makes Prisma emit a RedefineTables block for Organization
      // (DROP TABLE "Organization"), whose ON DELETE CASCADE would empty "User" without the guard.
      const changed = schema.replace(/(model Organization \{[^}]*?)require2fa\s+Boolean\s+@default\(false\)/, "$1require2fa Boolean @default(true)");
      expect(changed).not.toBe(schema);
      const sql = await diffSql("sqlite", schema, changed);
      expect(sql).toContain('DROP TABLE "Organization"');
      const target = path.join(dir, "sqlite", "99999999999999_redefine_organization");
      mkdirSync(target, { recursive: true });
      writeFileSync(path.join(target, "migration.sql"), sql);
      expect((await migrate({ url: database.url, migrationsRoot: dir })).applied).toEqual(["99999999999999_redefine_organization"]);

      const check = new Database(file, { readonly: true });
      expect(check.prepare(`SELECT count(*) AS n FROM "User"`).get()).toEqual({ n: 1 });
      check.close();
    } finally {
      remove();
      await database.drop();
    }
  });
});

describe("PostgreSQL test database", () => {
  it("is really PostgreSQL", async () => {
    const [, create] = DATABASE_KINDS[1];
    const database = await create();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT version()");
      expect(String(rows[0].version)).toMatch(/^PostgreSQL/);
    } finally {
      await client.end();
      await database.drop();
    }
  });
});
