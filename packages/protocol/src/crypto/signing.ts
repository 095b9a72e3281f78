import {
  HEADER_NONCE,
  HEADER_RESPONDER,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  MAX_CLOCK_SKEW_MS,
  NONCE_BYTES,
  SIGNATURE_SCHEME,
} from "../constants.ts";
import { ProtocolError, subtleCrypto } from "../errors.ts";
import { type BytesLike, base64UrlToBytes, bytesToBase64Url, randomBytes, toArrayBuffer, toBytes } from "./encoding.ts";
import { sha256Hex } from "./hash.ts";
import { importPublicKey, responderIdFromPublicKey } from "./keys.ts";
import type { NonceStore } from "./nonce-store.ts";

export type SignedHeaders = Record<
  typeof HEADER_RESPONDER | typeof HEADER_TIMESTAMP | typeof HEADER_NONCE | typeof HEADER_SIGNATURE,
  string
>;

/** Web `Headers`, or a plain object such as Node's IncomingHttpHeaders (lowercase keys). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyFailureReason =
  | "missing-header"
  | "bad-signature"
  | "stale-timestamp"
  | "replayed-nonce"
  | "responder-mismatch";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailureReason };

const METHOD_PATTERN = /^[A-Z]{1,16}$/;
const PATH_PATTERN = /^\/[\x21-\x7e]*$/;
const TIMESTAMP_PATTERN = /^\d{1,16}$/;
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** An Ed25519 signature (64 bytes) as unpadded base64url. */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;

/**
 * The exact UTF-8 string that is signed. Method and path are checked so that no field can
 * smuggle a newline and shift the others.
 */
export async function buildSigningString(input: {
  method: string;
  path: string;
  timestamp: string;
  nonce: string;
  body: BytesLike | null | undefined;
}): Promise<string> {
  const method = input.method.toUpperCase();
  if (!METHOD_PATTERN.test(method)) throw new ProtocolError("invalid-argument", `not an HTTP method: ${input.method}`);
  if (!PATH_PATTERN.test(input.path)) {
    throw new ProtocolError("invalid-argument", "path must start with / and contain only visible ASCII (percent-encode the rest)");
  }
  const bodyHash = await sha256Hex(toBytes(input.body));
  return `${SIGNATURE_SCHEME}\n${method}\n${input.path}\n${input.timestamp}\n${input.nonce}\n${bodyHash}`;
}

/** Signs one request; send the returned headers with exactly these method, path (with query) and body bytes. */
export async function signRequest(input: {
  method: string;
  path: string;
  body?: BytesLike | null;
  keys: { privateKey: CryptoKey };
  responderId: string;
  now?: number;
}): Promise<SignedHeaders> {
  const timestamp = String(Math.trunc(input.now ?? Date.now()));
  const nonce = bytesToBase64Url(randomBytes(NONCE_BYTES));
  const signingString = await buildSigningString({ ...input, timestamp, nonce, body: input.body });
  const signature = await subtleCrypto().sign(
    { name: "Ed25519" },
    input.keys.privateKey,
    toArrayBuffer(toBytes(signingString)),
  );
  return {
    [HEADER_RESPONDER]: input.responderId,
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: bytesToBase64Url(new Uint8Array(signature)),
  };
}

/** Consoles pass the same imported CryptoKey for every request of a responder; derive its ID once. */
const responderIdByKey = new WeakMap<CryptoKey, string>();

async function responderIdOfKey(publicKey: CryptoKey | Uint8Array | string): Promise<string> {
  if (!(publicKey instanceof CryptoKey)) return responderIdFromPublicKey(publicKey);
  let responderId = responderIdByKey.get(publicKey);
  if (responderId === undefined) {
    responderId = await responderIdFromPublicKey(new Uint8Array(await subtleCrypto().exportKey("raw", publicKey)));
    responderIdByKey.set(publicKey, responderId);
  }
  return responderId;
}

export function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  // Repeated signature headers are ambiguous: treat them as absent rather than pick one.
  return typeof value === "string" ? value : undefined;
}

/**
 * Checks a signed request. Order matters: cheap header and identity checks first, the signature next,
 * and only a correctly signed request may consume a nonce (so forged requests cannot fill the store).
 * Malformed header values count as missing.
 */
export async function verifyRequest(input: {
  method: string;
  path: string;
  headers: HeaderSource;
  body: BytesLike | null | undefined;
  /** The enrolled key: raw bytes, base64url, or an imported CryptoKey. */
  publicKey: CryptoKey | Uint8Array | string;
  expectedResponderId: string;
  now: number;
  nonceStore: NonceStore;
  maxClockSkewMs?: number;
}): Promise<VerifyResult> {
  const responderId = readHeader(input.headers, HEADER_RESPONDER);
  const timestamp = readHeader(input.headers, HEADER_TIMESTAMP);
  const nonce = readHeader(input.headers, HEADER_NONCE);
  const signature = readHeader(input.headers, HEADER_SIGNATURE);
  if (
    responderId === undefined ||
    timestamp === undefined ||
    !TIMESTAMP_PATTERN.test(timestamp) ||
    nonce === undefined ||
    !NONCE_PATTERN.test(nonce) ||
    signature === undefined ||
    !SIGNATURE_PATTERN.test(signature)
  ) {
    return { ok: false, reason: "missing-header" };
  }

  if (responderId !== input.expectedResponderId || (await responderIdOfKey(input.publicKey)) !== responderId) {
    return { ok: false, reason: "responder-mismatch" };
  }

  const timestampMs = Number(timestamp);
  const maxClockSkewMs = input.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS;
  if (Math.abs(input.now - timestampMs) > maxClockSkewMs) return { ok: false, reason: "stale-timestamp" };

  let signingString: string;
  try {
    signingString = await buildSigningString({ method: input.method, path: input.path, timestamp, nonce, body: input.body });
  } catch {
    return { ok: false, reason: "bad-signature" };
  }
  const verifyKey = input.publicKey instanceof CryptoKey ? input.publicKey : await importPublicKey(input.publicKey);
  const valid = await subtleCrypto().verify(
    { name: "Ed25519" },
    verifyKey,
    toArrayBuffer(base64UrlToBytes(signature)),
    toArrayBuffer(toBytes(signingString)),
  );
  if (!valid) return { ok: false, reason: "bad-signature" };

  // The request stays acceptable until timestampMs + skew, so the nonce must be kept that long.
  const isNew = await input.nonceStore.rememberIfNew(`${responderId}:${nonce}`, timestampMs + maxClockSkewMs, input.now);
  return isNew ? { ok: true } : { ok: false, reason: "replayed-nonce" };
}
