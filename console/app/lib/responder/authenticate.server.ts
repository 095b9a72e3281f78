import { HEADER_RESPONDER, importPublicKey, verifyRequest, type NonceStore, type VerifyFailureReason } from "@corvid/protocol";
import type { Db } from "../../db.server.ts";
import type { Asset } from "../../generated/sqlite/client.ts";
import { readBodyLimited } from "./body.server.ts";
import type { ResponderContext } from "./context.server.ts";
import { reenroll, unauthorized } from "./errors.server.ts";

/**
 * Replay protection backed by the `ResponderNonce` table, so it holds across console restarts and processes:
 * the primary key (responderId, nonce) makes "insert if new" atomic.
 */
export class DatabaseNonceStore implements NonceStore {
  static readonly #nextSweepAt = new WeakMap<Db, number>();
  static readonly SWEEP_INTERVAL_MS = 60_000;

  constructor(private readonly db: Db) {}

  async rememberIfNew(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    this.#sweepExpired(nowMs);
    const separator = key.indexOf(":");
    const responderId = key.slice(0, separator);
    const nonce = key.slice(separator + 1);
    try {
      await this.db.responderNonce.create({ data: { responderId, nonce, expiresAt: new Date(expiresAtMs) } });
      return true;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The nonce is stored. It only counts as a replay while it has not expired (the sweep may lag behind).
      const { count } = await this.db.responderNonce.updateMany({
        where: { responderId, nonce, expiresAt: { lte: new Date(nowMs) } },
        data: { expiresAt: new Date(expiresAtMs) },
      });
      return count === 1;
    }
  }

  #sweepExpired(nowMs: number): void {
    if (nowMs < (DatabaseNonceStore.#nextSweepAt.get(this.db) ?? 0)) return;
    DatabaseNonceStore.#nextSweepAt.set(this.db, nowMs + DatabaseNonceStore.SWEEP_INTERVAL_MS);
    this.db.responderNonce
      .deleteMany({ where: { expiresAt: { lt: new Date(nowMs) } } })
      .catch((error: unknown) => console.error("responder nonce sweep failed", error));
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Imported public keys, so a check-in does not re-import its responder's key every time. */
const importedKeys = new Map<string, CryptoKey>();
const MAX_IMPORTED_KEYS = 50_000;

async function verificationKey(publicKey: string): Promise<CryptoKey> {
  let key = importedKeys.get(publicKey);
  if (!key) {
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.clear();
    key = await importPublicKey(publicKey);
    importedKeys.set(publicKey, key);
  }
  return key;
}

const FAILURE_MESSAGES: Record<VerifyFailureReason, string> = {
  "missing-header": "missing or malformed signature headers",
  "bad-signature": "signature does not verify",
  "stale-timestamp": "request timestamp is too far from the console clock",
  "replayed-nonce": "nonce was already used (replayed request)",
  "responder-mismatch": "responder id does not match the enrolled key",
};

export interface AuthenticatedRequest {
  asset: Asset;
  body: Uint8Array;
}

/**
 * Finds the enrolled responder, reads the (size-limited) body and checks the signature against the enrolled key.
 * Unknown or revoked responders get 410 "reenroll"; everything else that fails gets 401.
 * Nothing is written before this succeeds except the nonce of a correctly signed request.
 */
export async function authenticateResponder(
  ctx: ResponderContext,
  request: Request,
  maxBodyBytes: number,
): Promise<AuthenticatedRequest> {
  const responderId = request.headers.get(HEADER_RESPONDER);
  if (!responderId) throw unauthorized(FAILURE_MESSAGES["missing-header"]);
  const asset = await ctx.db.asset.findUnique({ where: { responderId } });
  if (!asset) throw reenroll("unknown responder: enroll again");
  if (asset.revokedAt) throw reenroll("this responder was revoked: enroll again");
  // Only requests naming an enrolled responder get their (bounded) body read and verified.
  const body = await readBodyLimited(request, maxBodyBytes);
  const url = new URL(request.url);
  const result = await verifyRequest({
    method: request.method,
    path: url.pathname + url.search,
    headers: request.headers,
    body,
    publicKey: await verificationKey(asset.publicKey),
    expectedResponderId: asset.responderId,
    now: ctx.now(),
    nonceStore: new DatabaseNonceStore(ctx.db),
  });
  if (!result.ok) throw unauthorized(FAILURE_MESSAGES[result.reason]);
  return { asset, body };
}
