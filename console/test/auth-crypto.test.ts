// Password hashing, TOTP (RFC 6238 test vectors) and secret sealing.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretKeyError, openSecret, sealSecret } from "../app/lib/crypto-box.server.ts";
import { hashPassword, passwordProblem, verifyPassword } from "../app/lib/password.server.ts";
import { base32ToBytes, bytesToBase32 } from "@corvid/protocol";
import { otpauthUri, totp, verifyTotp } from "../app/lib/totp.server.ts";

describe("passwords", () => {
  it("hashes with scrypt and a per-password salt, and verifies", async () => {
    const first = await hashPassword("correct horse battery");
    const second = await hashPassword("correct horse battery");
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword("correct horse battery", first)).toBe(true);
    expect(await verifyPassword("correct horse batterY", first)).toBe(false);
    expect(await verifyPassword("", first)).toBe(false);
  });

  it("never matches a malformed or unusable stored hash", async () => {
    expect(await verifyPassword("anything", "unusable")).toBe(false);
    expect(await verifyPassword("anything", "bcrypt$2$x$y")).toBe(false);
  });

  it("rejects short passwords", () => {
    expect(passwordProblem("short")).toMatch(/at least 10/);
    expect(passwordProblem("long enough!")).toBeNull();
  });
});

describe("TOTP (RFC 6238 appendix B)", () => {
  const keys = {
    sha1: Buffer.from("12345678901234567890"),
    sha256: Buffer.from("12345678901234567890123456789012"),
    sha512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234"),
  };
  const vectors: [number, string, "sha1" | "sha256" | "sha512"][] = [
    [59, "94287082", "sha1"], [59, "46119246", "sha256"], [59, "90693936", "sha512"],
    [1111111109, "07081804", "sha1"], [1111111109, "68084774", "sha256"], [1111111109, "25091201", "sha512"],
    [1111111111, "14050471", "sha1"], [1111111111, "67062674", "sha256"], [1111111111, "99943326", "sha512"],
    [1234567890, "89005924", "sha1"], [1234567890, "91819424", "sha256"], [1234567890, "93441116", "sha512"],
    [2000000000, "69279037", "sha1"], [2000000000, "90698825", "sha256"], [2000000000, "38618901", "sha512"],
    [20000000000, "65353130", "sha1"], [20000000000, "77737706", "sha256"], [20000000000, "47863826", "sha512"],
  ];
  it.each(vectors)("T=%i gives %s (%s)", (seconds, expected, algorithm) => {
    expect(totp(keys[algorithm], seconds, { algorithm, digits: 8 })).toBe(expected);
  });

  const secret = bytesToBase32(keys.sha1).toUpperCase();
  it("encodes the RFC key in base32 and back", () => {
    expect(secret).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    expect(Buffer.from(base32ToBytes(secret)).equals(keys.sha1)).toBe(true);
    expect(Buffer.from(base32ToBytes("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq")).equals(keys.sha1)).toBe(true);
    const random = randomBytes(20);
    expect(Buffer.from(base32ToBytes(bytesToBase32(random))).equals(random)).toBe(true);
    expect(() => base32ToBytes("not base32!")).toThrow(/base32/);
  });

  it("verifies 6-digit codes with one step of clock drift either way", () => {
    const at59 = new Date(59_000);
    expect(verifyTotp(secret, "287082", at59)).toBe(true);
    expect(verifyTotp(secret, "287 082", new Date(59_000 + 30_000))).toBe(true);
    expect(verifyTotp(secret, "287082", new Date(59_000 - 30_000))).toBe(true);
    expect(verifyTotp(secret, totp(keys.sha1, 5), new Date(5_000))).toBe(true);
    expect(verifyTotp(secret, "287082", new Date(59_000 + 60_000))).toBe(false);
    expect(verifyTotp(secret, "287083", at59)).toBe(false);
    expect(verifyTotp(secret, "abcdef", at59)).toBe(false);
  });

  it("builds an otpauth URI authenticator apps accept", () => {
    const uri = new URL(otpauthUri(secret, "a@example.test"));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Corvid:a@example.test");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("Corvid");
  });
});

describe("sealed secrets", () => {
  const key = randomBytes(32);
  it("round-trips and detects tampering or a wrong key", () => {
    const sealed = sealSecret("JBSWY3DPEHPK3PXP", key);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(openSecret(sealed, key)).toBe("JBSWY3DPEHPK3PXP");
    expect(() => openSecret(sealed, randomBytes(32))).toThrow(SecretKeyError);
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => openSecret(parts.join("."), key)).toThrow(SecretKeyError);
  });
});
