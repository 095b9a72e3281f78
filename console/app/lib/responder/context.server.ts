import { readFile } from "node:fs/promises";
import path from "node:path";
import { CHECKIN_LONG_POLL_MAX_SEC, caFingerprintFromPem } from "@corvid/protocol";
import { resolveDataDir } from "../../../db/config.js";
import { getDb, type Db } from "../../db.server.ts";

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
}

/** Certificate file names the console's TLS setup may use inside `<data>/tls/`. */
const CA_CERT_FILES = ["ca.crt", "ca.pem", "ca-cert.pem"];

export async function readCaFingerprint(dataDir: string): Promise<string | undefined> {
  for (const name of CA_CERT_FILES) {
    let pem: string;
    try {
      pem = await readFile(path.join(dataDir, "tls", name), "utf8");
    } catch {
      continue;
    }
    return caFingerprintFromPem(pem);
  }
  return undefined;
}

let processContext: Promise<ResponderContext> | undefined;

/** The context for this console process ($DATABASE_URL, $CORVID_DATA_DIR). */
export function getResponderContext(): Promise<ResponderContext> {
  processContext ??= (async () => {
    const dataDir = resolveDataDir(process.env);
    const caFingerprint = await readCaFingerprint(dataDir);
    return {
      db: await getDb(),
      dataDir,
      now: Date.now,
      longPollMs: CHECKIN_LONG_POLL_MAX_SEC * 1000,
      ...(caFingerprint ? { caFingerprint } : {}),
    };
  })().catch((error) => {
    processContext = undefined;
    throw error;
  });
  return processContext;
}
