// Small crypto helpers: random tokens, SHA-256, and AES-256-GCM sealing of secrets at rest
// (TOTP secrets). The key comes from CORVID_SECRET_KEY (64 hex chars) or from a key file that
// is generated in the data directory on first use.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveDataDir } from "../../db/config.js";

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export class SecretKeyError extends Error {}

let cachedKey: Buffer | undefined;

/** The 32-byte key that seals secrets; generated once per data directory when not configured. */
export function secretKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  if (cachedKey) return cachedKey;
  const configured = env.CORVID_SECRET_KEY;
  if (configured) {
    if (!/^[0-9a-fA-F]{64}$/.test(configured)) throw new SecretKeyError("CORVID_SECRET_KEY must be 64 hexadecimal characters (32 bytes)");
    cachedKey = Buffer.from(configured, "hex");
    return cachedKey;
  }
  const keyFile = path.join(resolveDataDir(env), "secret.key");
  if (!existsSync(keyFile)) {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    try {
      writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another console process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const text = readFileSync(keyFile, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new SecretKeyError(`${keyFile} does not hold a 32-byte hex key`);
  cachedKey = Buffer.from(text, "hex");
  return cachedKey;
}

const SEALED_PREFIX = "v1";

/** AES-256-GCM; output "v1.<iv>.<tag>.<ciphertext>" in base64url. */
export function sealSecret(plaintext: string, key: Buffer = secretKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [SEALED_PREFIX, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

export function openSecret(sealed: string, key: Buffer = secretKey()): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== SEALED_PREFIX || !iv || !tag || ciphertext === undefined) throw new SecretKeyError("sealed secret has an unknown format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretKeyError("sealed secret cannot be opened with this key (was CORVID_SECRET_KEY or secret.key changed?)");
  }
}
