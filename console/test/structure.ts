// Describes a database's structure as plain sorted data, so two databases can be compared with toEqual.
import Database from "better-sqlite3";
import pg from "pg";

const IGNORED_TABLES = new Set(["_app_migrations", "sqlite_sequence"]);

export function sqliteStructure(file: string): Record<string, unknown> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[])
      .map((t) => t.name)
      .filter((name) => !IGNORED_TABLES.has(name));
    const structure: Record<string, unknown> = {};
    for (const table of tables) {
      const indexes = (db.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; unique: number; origin: string }[])
        .map((index) => ({
          // SQLite names implicit indexes sqlite_autoindex_<table>_<n>: the number is not meaningful.
          name: index.name.startsWith("sqlite_autoindex_") ? "autoindex" : index.name,
          unique: index.unique,
          origin: index.origin,
          columns: (db.prepare(`PRAGMA index_info("${index.name}")`).all() as { name: string }[]).map((c) => c.name),
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      structure[table] = {
        columns: db.prepare(`PRAGMA table_info("${table}")`).all(),
        indexes,
        foreignKeys: db.prepare(`PRAGMA foreign_key_list("${table}")`).all(),
      };
    }
    return structure;
  } finally {
    db.close();
  }
}

export async function postgresStructure(url: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const notIgnored = `NOT IN ('_app_migrations')`;
    const columns = await client.query(
      `SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, character_maximum_length, numeric_precision, datetime_precision
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name ${notIgnored}
        ORDER BY table_name, ordinal_position`,
    );
    const indexes = await client.query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename ${notIgnored} ORDER BY tablename, indexname`,
    );
    const constraints = await client.query(
      `SELECT rel.relname AS table_name, con.conname, con.contype, pg_get_constraintdef(con.oid) AS definition
         FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = rel.relnamespace
        WHERE ns.nspname = 'public' AND rel.relname ${notIgnored} ORDER BY rel.relname, con.conname`,
    );
    const enums = await client.query(
      `SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid ORDER BY t.typname, e.enumsortorder`,
    );
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows, enums: enums.rows };
  } finally {
    await client.end();
  }
}
