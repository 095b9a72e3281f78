// Applies the committed SQL migrations in prisma/migrations/<provider>/ in name order.
// Plain JavaScript so server.js can run it without a TypeScript loader.
// Each migration runs in its own transaction and is recorded with its SHA-256 in "_app_migrations";
// editing a migration after it was applied is an error. See docs/decisions/002.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const defaultMigrationsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../prisma/migrations");
/** Any constant works; it only has to be the same for every console process sharing a database. */
const POSTGRES_MIGRATION_LOCK = 727274;

/** @param {string} url @returns {"postgresql" | "sqlite"} */
export function providerOf(url) {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

/** File path of a SQLite database URL ("file:./x.db", "./x.db" or ":memory:"). @param {string} url */
export function sqlitePathOf(url) {
  return url.replace(/^file:/, "");
}

/** @param {"postgresql" | "sqlite"} provider @param {string} root */
export function readMigrations(provider, root = defaultMigrationsRoot) {
  const dir = path.join(root, provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** @param {Map<string, string>} applied @param {{ name: string, checksum: string }} migration */
function alreadyApplied(applied, migration) {
  const checksum = applied.get(migration.name);
  if (checksum === undefined) return false;
  if (checksum !== migration.checksum) throw new Error(`migration ${migration.name} was edited after it was applied`);
  return true;
}

/**
 * @param {{ url: string, migrationsRoot?: string }} options
 * @returns {Promise<{ provider: string, applied: string[] }>}
 */
export async function migrate({ url, migrationsRoot = defaultMigrationsRoot }) {
  const provider = providerOf(url);
  const migrations = readMigrations(provider, migrationsRoot);
  const applied = provider === "postgresql" ? await migratePostgres(url, migrations) : await migrateSqlite(url, migrations);
  return { provider, applied };
}

/** @param {string} url @param {{ name: string, sql: string, checksum: string }[]} migrations */
async function migrateSqlite(url, migrations) {
  const { default: Database } = await import("better-sqlite3");
  const file = sqlitePathOf(url);
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE IF NOT EXISTS "_app_migrations" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const done = new Map(db.prepare(`SELECT name, checksum FROM "_app_migrations"`).all().map((r) => [r.name, r.checksum]));
    const newlyApplied = [];
    for (const migration of migrations) {
      if (alreadyApplied(done, migration)) continue;
      // Prisma's RedefineTables scripts DROP and recreate tables. With foreign keys on, the DROP
      // cascades and silently empties child tables, and the script's own PRAGMA is a no-op inside
      // a transaction, so foreign keys are switched off here, outside it, and checked before commit.
      db.pragma("foreign_keys = OFF");
      try {
        db.transaction(() => {
          db.exec(migration.sql);
          const broken = db.pragma("foreign_key_check");
          if (broken.length > 0) {
            throw new Error(`migration ${migration.name} leaves ${broken.length} foreign key violation(s)`);
          }
          db.prepare(`INSERT INTO "_app_migrations" (name, checksum, applied_at) VALUES (?, ?, ?)`).run(
            migration.name,
            migration.checksum,
            new Date().toISOString(),
          );
        }).immediate();
      } catch (error) {
        throw new Error(`migration ${migration.name} failed: ${error instanceof Error ? error.message : error}`, { cause: error });
      } finally {
        db.pragma("foreign_keys = ON");
      }
      newlyApplied.push(migration.name);
    }
    return newlyApplied;
  } finally {
    db.close();
  }
}

/** @param {string} url @param {{ name: string, sql: string, checksum: string }[]} migrations */
async function migratePostgres(url, migrations) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [POSTGRES_MIGRATION_LOCK]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "_app_migrations" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query(`SELECT name, checksum FROM "_app_migrations"`);
      const done = new Map(rows.map((r) => [r.name, r.checksum]));
      const newlyApplied = [];
      for (const migration of migrations) {
        if (alreadyApplied(done, migration)) continue;
        await client.query("BEGIN");
        try {
          // No parameters: pg sends it through the simple-query protocol, so multi-statement files work.
          await client.query(migration.sql);
          await client.query(`INSERT INTO "_app_migrations" (name, checksum) VALUES ($1, $2)`, [migration.name, migration.checksum]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${migration.name} failed: ${error instanceof Error ? error.message : error}`, { cause: error });
        }
        newlyApplied.push(migration.name);
      }
      return newlyApplied;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [POSTGRES_MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}

