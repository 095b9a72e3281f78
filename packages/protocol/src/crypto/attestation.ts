import { ENDORSEMENT_SCHEME, HEADER_NONCE, HEADER_SIGNATURE, RESPONSE_SIGNATURE_SCHEME } from "../constants.ts";
import { ProtocolError, subtleCrypto } from "../errors.ts";
import { ConsoleIdentity } from "../schemas/identity.ts";
import { normalizeCaFingerprint } from "./ca.ts";
import { certificateSpki, isEcP256Spki } from "./der.ts";
import { type BytesLike, base64UrlToBytes, bytesToBase64Url, toArrayBuffer, toBytes } from "./encoding.ts";
import { sha256Hex } from "./hash.ts";
import { importPublicKey, publicKeyToBase64Url } from "./keys.ts";
import { type HeaderSource, NONCE_PATTERN, SIGNATURE_PATTERN, readHeader } from "./signing.ts";

// Console attestation (ADR 006): a responder that cannot see the TLS certificate (the extension's fetch) still
// checks that it talks to the holder of the pinned CA. The CA key endorses an Ed25519 console key once; the
// console key signs every response a responder asks to have signed, bound to that request.

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;
const ED25519 = { name: "Ed25519" } as const;

export type AttestationFailure =
  /** The console has no CA, or answered the identity request with an error. */
  | "unavailable"
  /** The identity answer does not match the ConsoleIdentity schema. */
  | "malformed"
  /** SHA-256 of the offered CA certificate is not the pinned fingerprint. */
  | "pin-mismatch"
  /** The pinned certificate cannot be parsed or holds no P-256 key. */
  | "bad-certificate"
  /** The CA did not endorse the offered console key. */
  | "bad-endorsement"
  /** A response lacks the console signature. */
  | "unsigned"
  /** A response signature does not verify with the attested console key. */
  | "bad-signature";

/** The console could not prove it holds the pinned CA, or a response was not signed by it. */
export class ConsoleAttestationError extends Error {
  override name = "ConsoleAttestationError";
  constructor(
    readonly reason: AttestationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** What the CA key signs: the scheme line, then the console key as base64url. */
export function endorsementMessage(consoleKey: string): Uint8Array {
  return toBytes(`${ENDORSEMENT_SCHEME}\n${publicKeyToBase64Url(base64UrlToBytes(consoleKey))}`);
}

/** Console side: the CA's ECDSA P-256 private key endorses the console key (P1363 signature, base64url). */
export async function endorseConsoleKey(caPrivateKey: CryptoKey, consoleKey: string): Promise<string> {
  const signature = await subtleCrypto().sign(ECDSA_SHA256, caPrivateKey, toArrayBuffer(endorsementMessage(consoleKey)));
  return bytesToBase64Url(new Uint8Array(signature));
}

/** The P-256 public key of a DER CA certificate; ProtocolError for garbage, truncation or another key type. */
export async function importCaCertificateKey(der: Uint8Array): Promise<CryptoKey> {
  const spki = certificateSpki(der);
  if (!isEcP256Spki(spki)) throw new ProtocolError("invalid-key", "the CA certificate's key is not an EC P-256 key");
  try {
    return await subtleCrypto().importKey("spki", toArrayBuffer(spki), ECDSA_P256, true, ["verify"]);
  } catch (error) {
    throw new ProtocolError("invalid-key", `the CA certificate's P-256 key cannot be imported: ${String(error)}`);
  }
}

/** `endorsement` is a 64-byte IEEE P1363 signature (WebCrypto's format; DER signatures from openssl must be converted). */
export async function verifyEndorsement(caPublicKey: CryptoKey, consoleKey: string, endorsement: string): Promise<boolean> {
  const signature = base64UrlToBytes(endorsement);
  if (signature.length !== 64) return false;
  return subtleCrypto().verify(ECDSA_SHA256, caPublicKey, toArrayBuffer(signature), toArrayBuffer(endorsementMessage(consoleKey)));
}

/**
 * What ties a response to its request: the request's `x-corvid-nonce` and, for signed requests, its
 * `x-corvid-signature` (which itself covers method, path, timestamp, nonce and body hash).
 */
export interface ResponseBinding {
  nonce: string;
  requestSignature?: string | undefined;
}

/** Console side: the binding of a request that asked for a signed answer, or undefined when its headers cannot bind one. */
export function responseBinding(headers: HeaderSource): ResponseBinding | undefined {
  const nonce = readHeader(headers, HEADER_NONCE);
  const requestSignature = readHeader(headers, HEADER_SIGNATURE);
  if (nonce === undefined || !NONCE_PATTERN.test(nonce)) return undefined;
  if (requestSignature !== undefined && !SIGNATURE_PATTERN.test(requestSignature)) return undefined;
  return { nonce, requestSignature };
}

/** `corvid-response-v1\nnonce\nrequest signature (empty if unsigned)\nstatus\nsha256(body)`; fields are checked so none can carry a newline. */
export async function responseSigningString(input: ResponseBinding & { status: number; body: BytesLike }): Promise<string> {
  if (!NONCE_PATTERN.test(input.nonce)) throw new ProtocolError("invalid-argument", "a response binding needs a 16-byte base64url nonce");
  const requestSignature = input.requestSignature ?? "";
  if (requestSignature !== "" && !SIGNATURE_PATTERN.test(requestSignature)) throw new ProtocolError("invalid-argument", "malformed request signature");
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) throw new ProtocolError("invalid-argument", `not an HTTP status: ${input.status}`);
  return `${RESPONSE_SIGNATURE_SCHEME}\n${input.nonce}\n${requestSignature}\n${input.status}\n${await sha256Hex(toBytes(input.body))}`;
}

/** Console side: the value of `x-corvid-console-signature` for one response. */
export async function signResponse(input: ResponseBinding & { status: number; body: BytesLike; privateKey: CryptoKey }): Promise<string> {
  const signed = await subtleCrypto().sign(ED25519, input.privateKey, toArrayBuffer(toBytes(await responseSigningString(input))));
  return bytesToBase64Url(new Uint8Array(signed));
}

/** Responder side: does `signature` (the header value, possibly absent) sign this status and body for this request? */
export async function verifyResponseSignature(
  input: ResponseBinding & { status: number; body: BytesLike; consoleKey: CryptoKey; signature: string | null | undefined },
): Promise<boolean> {
  if (!input.signature || !SIGNATURE_PATTERN.test(input.signature)) return false;
  return subtleCrypto().verify(ED25519, input.consoleKey, toArrayBuffer(base64UrlToBytes(input.signature)), toArrayBuffer(toBytes(await responseSigningString(input))));
}

export interface AttestedConsole {
  /** The console key (base64url), worth caching: later responses are verified with it. */
  consoleKey: string;
  verifyKey: CryptoKey;
}

/**
 * Responder side, the whole identity check of a 2xx `POST /identity` answer: the certificate is the pinned one,
 * its key endorsed the console key, and the console key signed this answer for our fresh nonce.
 * Throws ConsoleAttestationError saying which check failed.
 */
export async function verifyConsoleIdentity(input: {
  pin: string;
  nonce: string;
  status: number;
  body: Uint8Array;
  signature: string | null | undefined;
}): Promise<AttestedConsole> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input.body));
  } catch {
    throw new ConsoleAttestationError("malformed", "the console's identity answer is not JSON");
  }
  const parsed = ConsoleIdentity.safeParse(value);
  if (!parsed.success) throw new ConsoleAttestationError("malformed", `the console's identity answer does not match the protocol: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const identity = parsed.data;
  const der = base64UrlToBytes(identity.caCertificate);
  const pin = normalizeCaFingerprint(input.pin);
  const offered = await sha256Hex(der);
  if (offered !== pin) throw new ConsoleAttestationError("pin-mismatch", `the console's CA ${offered} is not the pinned CA ${pin}`);
  let caKey: CryptoKey;
  try {
    caKey = await importCaCertificateKey(der);
  } catch (error) {
    throw new ConsoleAttestationError("bad-certificate", `the pinned CA certificate cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!(await verifyEndorsement(caKey, identity.consoleKey, identity.endorsement))) {
    throw new ConsoleAttestationError("bad-endorsement", "the pinned CA did not endorse the console's key");
  }
  const verifyKey = await importPublicKey(identity.consoleKey);
  if (!input.signature) throw new ConsoleAttestationError("unsigned", "the console's identity answer is not signed");
  if (!(await verifyResponseSignature({ ...input, consoleKey: verifyKey, signature: input.signature }))) {
    throw new ConsoleAttestationError("bad-signature", "the console's identity answer is not signed for our nonce by the endorsed key");
  }
  return { consoleKey: identity.consoleKey, verifyKey };
}
