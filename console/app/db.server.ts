// One Prisma client per process, SQLite or PostgreSQL depending on DATABASE_URL.
// Two clients are generated because a client built for one provider refuses the other's adapter;
// their model APIs are identical, so the PostgreSQL client is typed as the SQLite one.
import type { PrismaClient } from "./generated/sqlite/client.ts";
import { resolveDatabaseUrl } from "../db/config.js";

export type Db = PrismaClient;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function createDb(url: string): Promise<Db> {
  if (isPostgresUrl(url)) {
    const [{ PrismaClient: PostgresClient }, { PrismaPg }] = await Promise.all([
      import("./generated/postgresql/client.ts"),
      import("@prisma/adapter-pg"),
    ]);
    return new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  }
  const [{ PrismaClient: SqliteClient }, { PrismaBetterSqlite3 }] = await Promise.all([
    import("./generated/sqlite/client.ts"),
    import("@prisma/adapter-better-sqlite3"),
  ]);
  return new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: url.replace(/^file:/, "") }) });
}

let processDb: Promise<Db> | undefined;

/** The process-wide client for $DATABASE_URL (default: SQLite in the data directory). */
export function getDb(): Promise<Db> {
  processDb ??= createDb(resolveDatabaseUrl(process.env));
  return processDb;
}
