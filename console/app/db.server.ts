// One Prisma client per process, SQLite or PostgreSQL depending on DATABASE_URL.
// Two clients are generated because a client built for one provider refuses the other's adapter;
// their model APIs are identical, so the PostgreSQL client is typed as the SQLite one.
import type { PrismaClient } from "./generated/sqlite/client.ts";
import { resolveDatabaseUrl } from "../db/config.js";

export type Db = PrismaClient;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** A client inside `db.$transaction(async (tx) => …)`. */
export type DbTransaction = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

const providers = new WeakMap<object, "sqlite" | "postgresql">();

/** Which database a client created by createDb talks to. */
export function providerOfDb(db: Db): "sqlite" | "postgresql" {
  const provider = providers.get(db);
  if (!provider) throw new Error("providerOfDb: this client was not created by createDb");
  return provider;
}

export async function createDb(url: string): Promise<Db> {
  if (isPostgresUrl(url)) {
    const [{ PrismaClient: PostgresClient }, { PrismaPg }] = await Promise.all([
      import("./generated/postgresql/client.ts"),
      import("@prisma/adapter-pg"),
    ]);
    const db = new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
    providers.set(db, "postgresql");
    return db;
  }
  const [{ PrismaClient: SqliteClient }, { PrismaBetterSqlite3 }] = await Promise.all([
    import("./generated/sqlite/client.ts"),
    import("@prisma/adapter-better-sqlite3"),
  ]);
  const db = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: url.replace(/^file:/, "") }) });
  providers.set(db, "sqlite");
  return db;
}

const clientsByUrl = new Map<string, Promise<Db>>();

/** The process-wide client for $DATABASE_URL (default: SQLite in the data directory), one per URL. */
export function getDb(): Promise<Db> {
  const url = resolveDatabaseUrl(process.env);
  let db = clientsByUrl.get(url);
  if (!db) {
    db = createDb(url);
    clientsByUrl.set(url, db);
  }
  return db;
}
