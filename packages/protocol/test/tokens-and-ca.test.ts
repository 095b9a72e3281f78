import { X509Certificate, createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEPLOYMENT_TOKEN_PREFIX,
  base32ToBytes,
  bytesToBase32,
  DeploymentToken,
  ProtocolError,
  caFingerprintFromDer,
  caFingerprintFromPem,
  caFingerprintsMatch,
  generateDeploymentToken,
  hashDeploymentToken,
  isDeploymentToken,
  normalizeCaFingerprint,
  sha256Hex,
} from "../src/index.ts";

describe("deployment tokens", () => {
  it("are prefixed, 256-bit random, and accepted by the EnrollRequest schema", () => {
    const tokens = new Set(Array.from({ length: 100 }, generateDeploymentToken));
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(token.startsWith(DEPLOYMENT_TOKEN_PREFIX)).toBe(true);
      expect(isDeploymentToken(token)).toBe(true);
      expect(DeploymentToken.safeParse(token).success).toBe(true);
    }
    expect(isDeploymentToken("cvd_dt_")).toBe(false);
  });

  it("hash to the SHA-256 hex of the token text", async () => {
    const token = generateDeploymentToken();
    const expected = createHash("sha256").update(token, "utf8").digest("hex");
    expect(await hashDeploymentToken(token)).toBe(expected);
    expect(await hashDeploymentToken(generateDeploymentToken())).not.toBe(expected);
  });
});

describe("sha256Hex", () => {
  it("matches the FIPS 180-2 test vectors", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex(new Uint8Array(0))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("CA fingerprints", () => {
  const certDir = "/etc/ssl/certs";
  const pemFile = readdirSync(certDir).find((name) => name.endsWith(".pem"));

  it("hash the DER of a real certificate like OpenSSL's SHA-256 fingerprint", async () => {
    expect(pemFile, "the system CA bundle (/etc/ssl/certs) is needed for this test").toBeDefined();
    const pem = readFileSync(`${certDir}/${pemFile}`, "utf8");
    const certificate = new X509Certificate(pem);
    const expected = normalizeCaFingerprint(certificate.fingerprint256);
    expect(await caFingerprintFromPem(pem)).toBe(expected);
    expect(await caFingerprintFromDer(new Uint8Array(certificate.raw))).toBe(expected);
    expect(caFingerprintsMatch(certificate.fingerprint256, expected)).toBe(true);
  });

  it("normalize pasted forms and reject non-fingerprints", async () => {
    const hex = "ab".repeat(32);
    expect(normalizeCaFingerprint("AB:".repeat(31) + "AB")).toBe(hex);
    expect(() => normalizeCaFingerprint("abcd")).toThrow(ProtocolError);
    await expect(caFingerprintFromPem("no certificate here")).rejects.toMatchObject({ code: "invalid-encoding" });
  });
});

describe("base32", () => {
  it("round-trips bytes and reads the upper-case, spaced form people copy", () => {
    // RFC 4648 section 10 test vector.
    expect(bytesToBase32(new TextEncoder().encode("foobar"))).toBe("mzxw6ytboi");
    expect(new TextDecoder().decode(base32ToBytes("MZXW 6YTB-OI======"))).toBe("foobar");
    const random = crypto.getRandomValues(new Uint8Array(37));
    expect(base32ToBytes(bytesToBase32(random))).toEqual(random);
  });
  it("rejects characters outside the alphabet with an invalid-encoding error", () => {
    expect(() => base32ToBytes("mzxw1")).toThrow(/not a base32 character: "1"/);
  });
});
