// Frozen v1 wire fixtures: messages and a signed request that every v1 implementation must keep accepting.
// Never edit these files for v1; add new ones. The signed-request vector was also reproduced byte for byte
// with Python's `cryptography` Ed25519 (an independent implementation) when it was written.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  HEADER_NONCE,
  HEADER_RESPONDER,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  InMemoryNonceStore,
  PUBLISHED_SCHEMAS,
  buildSigningString,
  bytesToBase64Url,
  importResponderKeys,
  responderIdFromPublicKey,
  sha256Hex,
  verifyRequest,
} from "../src/index.ts";

const fixtureDir = new URL("./fixtures/v1/", import.meta.url);
const readFixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtureDir), "utf8"));

describe("v1 message fixtures still parse unchanged", () => {
  const messageFiles = readdirSync(fixtureDir).filter((name) => name !== "signed-request.json");

  it("cover every published message schema except stored keys", () => {
    const covered = messageFiles.map((name) => name.replace(/\.json$/, "")).sort();
    const expected = Object.keys(PUBLISHED_SCHEMAS).filter((name) => name !== "StoredResponderKeys").sort();
    expect(covered).toEqual(expected);
  });

  for (const file of messageFiles) {
    it(file, () => {
      const schema = PUBLISHED_SCHEMAS[file.replace(/\.json$/, "") as keyof typeof PUBLISHED_SCHEMAS];
      const message = readFixture(file);
      expect(schema.parse(message)).toEqual(message);
    });
  }
});

describe("v1 signed-request test vector", () => {
  const vector = readFixture("signed-request.json") as {
    keys: unknown;
    responderId: string;
    method: string;
    path: string;
    body: string;
    bodySha256: string;
    timestamp: string;
    nonce: string;
    signingString: string;
    signature: string;
  };

  it("derives the documented responder ID and signing string", async () => {
    const keys = await importResponderKeys(vector.keys);
    expect(await responderIdFromPublicKey(keys.publicKeyRaw)).toBe(vector.responderId);
    expect(await sha256Hex(vector.body)).toBe(vector.bodySha256);
    expect(await buildSigningString(vector)).toBe(vector.signingString);
  });

  it("reproduces the signature exactly (Ed25519 is deterministic)", async () => {
    const keys = await importResponderKeys(vector.keys);
    const signature = await crypto.subtle.sign({ name: "Ed25519" }, keys.privateKey, new TextEncoder().encode(vector.signingString));
    expect(bytesToBase64Url(new Uint8Array(signature))).toBe(vector.signature);
  });

  it("verifies", async () => {
    const keys = await importResponderKeys(vector.keys);
    const headers = {
      [HEADER_RESPONDER]: vector.responderId,
      [HEADER_TIMESTAMP]: vector.timestamp,
      [HEADER_NONCE]: vector.nonce,
      [HEADER_SIGNATURE]: vector.signature,
    };
    const result = await verifyRequest({
      method: vector.method,
      path: vector.path,
      headers,
      body: vector.body,
      publicKey: keys.publicKeyRaw,
      expectedResponderId: vector.responderId,
      now: Number(vector.timestamp),
      nonceStore: new InMemoryNonceStore(),
    });
    expect(result).toEqual({ ok: true });
  });
});
