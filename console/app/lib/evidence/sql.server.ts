import { providerOfDb, type Db } from "../../db.server.ts";

/** Prisma `contains` filter that ignores case on both providers (SQLite's LIKE already does for ASCII). */
export function containsInsensitive(db: Db, value: string) {
  return providerOfDb(db) === "postgresql" ? { contains: value, mode: "insensitive" as const } : { contains: value };
}
