// TOTP (RFC 6238) on top of HOTP (RFC 4226), with node:crypto. Secrets are base32 (RFC 4648).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { base32ToBytes, bytesToBase32 } from "@corvid/protocol";

export interface TotpOptions {
  algorithm?: "sha1" | "sha256" | "sha512";
  digits?: number;
  stepSeconds?: number;
}

export function hotp(key: Uint8Array, counter: bigint, { algorithm = "sha1", digits = 6 }: TotpOptions = {}): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, "0");
}

export function totp(key: Uint8Array, unixSeconds: number, options: TotpOptions = {}): string {
  return hotp(key, BigInt(Math.floor(unixSeconds / (options.stepSeconds ?? 30))), options);
}

/** Accepts the code of the current 30 s step and of one step before or after (clock drift). */
export function verifyTotp(secretBase32: string, code: string, now: Date = new Date()): boolean {
  const normalized = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(normalized)) return false;
  const key = base32ToBytes(secretBase32);
  const seconds = Math.floor(now.getTime() / 1000);
  return [-30, 0, 30]
    .filter((drift) => seconds + drift >= 0)
    .some((drift) => timingSafeEqual(Buffer.from(totp(key, seconds + drift)), Buffer.from(normalized)));
}

export function generateTotpSecret(): string {
  // Upper case, as authenticator apps show and expect secrets.
  return bytesToBase32(randomBytes(20)).toUpperCase();
}

/** The otpauth:// URI authenticator apps import (also as a QR code). */
export function otpauthUri(secretBase32: string, accountName: string, issuer = "Corvid"): string {
  const label = encodeURIComponent(`${issuer}:${accountName}`);
  const query = new URLSearchParams({ secret: secretBase32, issuer, algorithm: "SHA1", digits: "6", period: "30" });
  return `otpauth://totp/${label}?${query.toString()}`;
}
