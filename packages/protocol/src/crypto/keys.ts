import { z } from "zod";
import { RESPONDER_ID_PREFIX } from "../constants.ts";
import { ProtocolError, subtleCrypto } from "../errors.ts";
import { PublicKeyBase64Url } from "../schemas/common.ts";
import { base64UrlToBytes, bytesToBase32, bytesToBase64Url, randomBytes, toArrayBuffer } from "./encoding.ts";
import { sha256Bytes } from "./hash.ts";

const ED25519 = { name: "Ed25519" } as const;
const PUBLIC_KEY_BYTES = 32;
const RESPONDER_ID_HASH_BYTES = 20;

/** A responder's Ed25519 key pair plus the raw public key that travels on the wire. */
export interface ResponderKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicKeyRaw: Uint8Array;
}

/** How keys are persisted (agent state file, extension storage): JSON-safe. */
export const StoredResponderKeys = z.object({
  version: z.literal(1),
  /** Unpadded base64url of the 32 raw public key bytes. */
  publicKey: PublicKeyBase64Url,
  privateKeyJwk: z.looseObject({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    d: z.string().max(64),
    x: z.string().max(64),
  }),
});
export type StoredResponderKeys = z.infer<typeof StoredResponderKeys>;

export async function generateResponderKeys(): Promise<ResponderKeys> {
  const pair = (await subtleCrypto().generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKeyRaw = new Uint8Array(await subtleCrypto().exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicKeyRaw };
}

export async function exportResponderKeys(keys: ResponderKeys): Promise<StoredResponderKeys> {
  const jwk = await subtleCrypto().exportKey("jwk", keys.privateKey);
  return StoredResponderKeys.parse({ version: 1, publicKey: bytesToBase64Url(keys.publicKeyRaw), privateKeyJwk: jwk });
}

/** Restores keys written by exportResponderKeys; throws ProtocolError("invalid-key") on anything else. */
export async function importResponderKeys(stored: unknown): Promise<ResponderKeys> {
  const parsed = StoredResponderKeys.safeParse(stored);
  if (!parsed.success) throw new ProtocolError("invalid-key", `stored responder keys are malformed: ${z.prettifyError(parsed.error)}`);
  const { publicKey, privateKeyJwk } = parsed.data;
  if (privateKeyJwk.x !== publicKey) throw new ProtocolError("invalid-key", "stored private key does not match the stored public key");
  let keys: ResponderKeys;
  try {
    const privateKey = await subtleCrypto().importKey("jwk", privateKeyJwk as JsonWebKey, ED25519, true, ["sign"]);
    keys = { privateKey, publicKey: await importPublicKey(publicKey), publicKeyRaw: base64UrlToBytes(publicKey) };
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError("invalid-key", `stored responder keys could not be imported: ${String(error)}`);
  }
  // WebCrypto does not check that the private scalar belongs to the public key; a mismatched pair would
  // only show up later as every request failing with bad-signature, so prove it here.
  const probe = toArrayBuffer(randomBytes(32));
  const signature = await subtleCrypto().sign(ED25519, keys.privateKey, probe);
  if (!(await subtleCrypto().verify(ED25519, keys.publicKey, signature, probe))) {
    throw new ProtocolError("invalid-key", "stored private key does not belong to the stored public key");
  }
  return keys;
}

/** Accepts the raw 32 bytes or their base64url form (as sent in EnrollRequest.publicKey). */
export function publicKeyBytes(publicKey: Uint8Array | string): Uint8Array {
  const raw = typeof publicKey === "string" ? base64UrlToBytes(publicKey) : publicKey;
  if (raw.length !== PUBLIC_KEY_BYTES) {
    throw new ProtocolError("invalid-key", `an Ed25519 public key has ${PUBLIC_KEY_BYTES} bytes, got ${raw.length}`);
  }
  return raw;
}

export function publicKeyToBase64Url(publicKeyRaw: Uint8Array): string {
  return bytesToBase64Url(publicKeyBytes(publicKeyRaw));
}

export async function importPublicKey(publicKey: Uint8Array | string): Promise<CryptoKey> {
  const raw = publicKeyBytes(publicKey);
  try {
    return await subtleCrypto().importKey("raw", toArrayBuffer(raw), ED25519, true, ["verify"]);
  } catch (error) {
    throw new ProtocolError("invalid-key", `not an Ed25519 public key: ${String(error)}`);
  }
}

/** `r_` + lowercase base32 (no padding) of the first 20 bytes of SHA-256(raw public key). */
export async function responderIdFromPublicKey(publicKey: Uint8Array | string): Promise<string> {
  const digest = await sha256Bytes(publicKeyBytes(publicKey));
  return RESPONDER_ID_PREFIX + bytesToBase32(digest.subarray(0, RESPONDER_ID_HASH_BYTES));
}
