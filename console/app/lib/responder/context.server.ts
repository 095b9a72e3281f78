import path from "node:path";
import { CHECKIN_LONG_POLL_MAX_SEC } from "@corvid/protocol";
import { resolveDataDir } from "../../../db/config.js";
import { getDb, type Db } from "../../db.server.ts";
import { loadConsoleIdentity, type ConsoleIdentityKeys } from "./identity.server.ts";

/** Everything a responder endpoint needs; tests build their own with a temporary database and data directory. */
export interface ResponderContext {
  db: Db;
  dataDir: string;
  /** Milliseconds since the epoch; injectable so tests can check stale timestamps and expiry. */
  now(): number;
  /** How long a `?wait=1` check-in may be held open. */
  longPollMs: number;
  /** SHA-256 of the console CA certificate (DER, hex) when the console serves HTTPS with its own CA. */
  caFingerprint?: string;
  /** The CA-endorsed key that signs responses for pinned responders; absent when the console has no CA. */
  identity?: ConsoleIdentityKeys;
}

/**
 * The CA fingerprint responders should pin: server.js sets CORVID_CA_FINGERPRINT only when it serves
 * HTTPS with the console's own CA (plain HTTP on loopback has nothing to pin).
 */
export function consoleCaFingerprint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fingerprint = env.CORVID_CA_FINGERPRINT?.trim().toLowerCase();
  return fingerprint && /^[0-9a-f]{64}$/.test(fingerprint) ? fingerprint : undefined;
}

let processContext: Promise<ResponderContext> | undefined;

/** The context for this console process ($DATABASE_URL, $CORVID_DATA_DIR). */
export function getResponderContext(): Promise<ResponderContext> {
  processContext ??= (async () => {
    const caFingerprint = consoleCaFingerprint();
    const dataDir = resolveDataDir(process.env);
    // Unusable CA files must not take the responder API down for unpinned responders: log, and refuse only attestation.
    const identity = await loadConsoleIdentity(path.join(dataDir, "tls")).catch((error: unknown) => {
      console.error(`corvid: console attestation disabled: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    return {
      db: await getDb(),
      dataDir,
      now: Date.now,
      longPollMs: CHECKIN_LONG_POLL_MAX_SEC * 1000,
      ...(caFingerprint ? { caFingerprint } : {}),
      ...(identity ? { identity } : {}),
    };
  })().catch((error) => {
    processContext = undefined;
    throw error;
  });
  return processContext;
}
