// TOTP (RFC 6238) on top of HOTP (RFC 4226), with node:crypto. Secrets are base32 (RFC 4648).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export class Base32Error extends Error {}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, "").toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) throw new Base32Error(`not a base32 character: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

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
  const key = base32Decode(secretBase32);
  const seconds = Math.floor(now.getTime() / 1000);
  return [-30, 0, 30]
    .filter((drift) => seconds + drift >= 0)
    .some((drift) => timingSafeEqual(Buffer.from(totp(key, seconds + drift)), Buffer.from(normalized)));
}

export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The otpauth:// URI authenticator apps import (also as a QR code). */
export function otpauthUri(secretBase32: string, accountName: string, issuer = "Corvid"): string {
  const label = encodeURIComponent(`${issuer}:${accountName}`);
  const query = new URLSearchParams({ secret: secretBase32, issuer, algorithm: "SHA1", digits: "6", period: "30" });
  return `otpauth://totp/${label}?${query.toString()}`;
}
