import { ProtocolError } from "../errors.ts";
import { base64ToBytes } from "./encoding.ts";
import { sha256Hex } from "./hash.ts";

/** The pinned CA fingerprint: lowercase hex SHA-256 of the certificate's DER bytes. */
export function caFingerprintFromDer(der: Uint8Array): Promise<string> {
  return sha256Hex(der);
}

/** Fingerprint of the first CERTIFICATE block of a PEM text. */
export async function caFingerprintFromPem(pem: string): Promise<string> {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new ProtocolError("invalid-encoding", "no PEM CERTIFICATE block found");
  return caFingerprintFromDer(base64ToBytes(match[1].replace(/\s+/g, "")));
}

/** Accepts the forms people paste (`AB:CD:…`, upper case, spaces) and returns 64 lowercase hex digits. */
export function normalizeCaFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[\s:]/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ProtocolError("invalid-encoding", "a CA fingerprint is 32 bytes of hex (SHA-256)");
  return hex;
}

export function caFingerprintsMatch(a: string, b: string): boolean {
  return normalizeCaFingerprint(a) === normalizeCaFingerprint(b);
}
