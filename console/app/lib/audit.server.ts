// The one way to write the audit log. Entries are append-only and hash-chained:
// hash = sha256(prevHash + canonical JSON of the entry), so editing or deleting a row
// breaks the chain at that row, which verifyAuditChain (and `corvid audit verify`) reports.
import { createHash } from "node:crypto";
import { type Db, providerOfDb } from "../db.server.ts";

export type AuditActorType = "user" | "api" | "responder" | "system";

export interface AuditEntry {
  organizationId?: string | null;
  actorType: AuditActorType;
  actorId?: string | null;
  /** dotted verb, e.g. "user.login", "token.create", "asset.enroll" */
  action: string;
  /** what the action was applied to, e.g. "user:<id>" */
  target?: string | null;
  /** any JSON-serializable details (no secrets) */
  detail?: Record<string, unknown>;
}

export const GENESIS_HASH = "0".repeat(64);
/** Serializes audit writers on PostgreSQL; any constant shared by all console processes. */
const POSTGRES_AUDIT_LOCK = 727275;

/** JSON with object keys sorted at every level, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

interface StoredFields {
  organizationId: string | null;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  target: string | null;
  detail: string;
}

export function auditHash(prevHash: string, fields: StoredFields): string {
  const canonical = canonicalJson({ ...fields, at: fields.at.toISOString() });
  return createHash("sha256").update(prevHash + canonical).digest("hex");
}

/** Appends within this process run one after another, so they never compete for pool connections. */
let appendQueue: Promise<unknown> = Promise.resolve();

/**
 * Appends one entry. Pass the top-level client (not a transaction client): the append runs in
 * its own transaction (under an advisory lock on PostgreSQL) so concurrent writers, also in other
 * processes such as the CLI, cannot fork the chain; prevHash is unique as a last line of defence.
 */
export function audit(db: Db, entry: AuditEntry): Promise<void> {
  const fields: StoredFields = {
    organizationId: entry.organizationId ?? null,
    // JS dates have millisecond precision, as do both databases' columns: the hash recomputes exactly.
    at: new Date(),
    actorType: entry.actorType,
    actorId: entry.actorId ?? null,
    action: entry.action,
    target: entry.target ?? null,
    detail: canonicalJson(entry.detail ?? {}),
  };
  const isPostgres = providerOfDb(db) === "postgresql";
  const append = () =>
    db.$transaction(
      async (tx) => {
        if (isPostgres) await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${POSTGRES_AUDIT_LOCK})`);
        const last = await tx.auditLog.findFirst({ orderBy: { id: "desc" }, select: { hash: true } });
        const prevHash = last?.hash ?? GENESIS_HASH;
        await tx.auditLog.create({ data: { ...fields, prevHash, hash: auditHash(prevHash, fields) } });
      },
      { maxWait: 30_000, timeout: 30_000 },
    );
  const result = appendQueue.then(append, append);
  appendQueue = result.catch(() => undefined);
  return result;
}

export type AuditChainResult =
  /** headHash: the last entry's hash; record it elsewhere to detect a later truncation of the tail */
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; brokenId: number; reason: string };

/** Walks the whole chain in id order; returns the first entry that does not fit. */
export async function verifyAuditChain(db: Db): Promise<AuditChainResult> {
  const batchSize = 1000;
  let prevHash = GENESIS_HASH;
  let afterId = 0;
  let entries = 0;
  for (;;) {
    const batch = await db.auditLog.findMany({ where: { id: { gt: afterId } }, orderBy: { id: "asc" }, take: batchSize });
    for (const row of batch) {
      if (row.prevHash !== prevHash) {
        return { ok: false, entries, brokenId: row.id, reason: "previous hash does not match (an entry before it was deleted or altered)" };
      }
      const { id: _id, prevHash: _prev, hash, ...fields } = row;
      if (auditHash(prevHash, fields) !== hash) {
        return { ok: false, entries, brokenId: row.id, reason: "entry content does not match its hash (it was edited)" };
      }
      prevHash = hash;
      entries += 1;
      afterId = row.id;
    }
    if (batch.length < batchSize) return { ok: true, entries, headHash: prevHash };
  }
}
