import { createPublicKey, verify as nodeVerify, createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ERROR_STATUS,
  ErrorBody,
  HEADER_NONCE,
  HEADER_RESPONDER,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  InMemoryNonceStore,
  MAX_CLOCK_SKEW_MS,
  ProtocolError,
  type ResponderKeys,
  StoredResponderKeys,
  base64UrlToBytes,
  buildSigningString,
  errorBody,
  exportResponderKeys,
  generateResponderKeys,
  importPublicKey,
  importResponderKeys,
  publicKeyToBase64Url,
  responderIdFromPublicKey,
  responderPaths,
  signRequest,
  verifyRequest,
} from "../src/index.ts";

const NOW = Date.parse("2026-11-27T21:00:00Z");
const path = `${responderPaths.checkin}?wait=1`;
const body = JSON.stringify({ protocolVersion: 1, activeTaskIds: [] });

let keys: ResponderKeys;
let responderId: string;
let otherKeys: ResponderKeys;

beforeAll(async () => {
  keys = await generateResponderKeys();
  responderId = await responderIdFromPublicKey(keys.publicKeyRaw);
  otherKeys = await generateResponderKeys();
});

async function signed(overrides: { now?: number; body?: string; signWith?: ResponderKeys; responderId?: string } = {}) {
  return signRequest({
    method: "POST",
    path,
    body: overrides.body ?? body,
    keys: overrides.signWith ?? keys,
    responderId: overrides.responderId ?? responderId,
    now: overrides.now ?? NOW,
  });
}

function verify(
  headers: Record<string, string> | Headers,
  overrides: Partial<Parameters<typeof verifyRequest>[0]> = {},
) {
  return verifyRequest({
    method: "POST",
    path,
    headers,
    body,
    publicKey: keys.publicKeyRaw,
    expectedResponderId: responderId,
    now: NOW,
    nonceStore: new InMemoryNonceStore(),
    ...overrides,
  });
}

describe("responder identity", () => {
  it("derives the ID as r_ + base32 of the first 20 bytes of SHA-256(raw key) (RFC 8032 test key 1)", async () => {
    // Expected value computed independently with Python's hashlib + base64.b32encode.
    const rfc8032PublicKey = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    expect(await responderIdFromPublicKey(rfc8032PublicKey)).toBe("r_eh7ddx5bksrgcytl7bkai36se4nxx3kl");
    expect(await responderIdFromPublicKey(base64UrlToBytes(rfc8032PublicKey))).toBe("r_eh7ddx5bksrgcytl7bkai36se4nxx3kl");
  });

  it("rejects public keys of the wrong length with a ProtocolError", async () => {
    await expect(responderIdFromPublicKey(new Uint8Array(31))).rejects.toBeInstanceOf(ProtocolError);
    await expect(importPublicKey("not*base64")).rejects.toMatchObject({ code: "invalid-encoding" });
  });
});

describe("key storage", () => {
  it("exports to JSON and imports back to keys that still sign verifiably", async () => {
    const stored = JSON.parse(JSON.stringify(await exportResponderKeys(keys)));
    expect(StoredResponderKeys.parse(stored).publicKey).toBe(publicKeyToBase64Url(keys.publicKeyRaw));
    const restored = await importResponderKeys(stored);
    expect(restored.publicKeyRaw).toEqual(keys.publicKeyRaw);
    const headers = await signed({ signWith: restored });
    expect(await verify(headers)).toEqual({ ok: true });
  });

  it("refuses malformed or inconsistent stored keys", async () => {
    const stored = await exportResponderKeys(keys);
    await expect(importResponderKeys({ ...stored, version: 2 })).rejects.toMatchObject({ code: "invalid-key" });
    await expect(importResponderKeys("garbage")).rejects.toMatchObject({ code: "invalid-key" });
    const otherPublic = publicKeyToBase64Url(otherKeys.publicKeyRaw);
    await expect(importResponderKeys({ ...stored, publicKey: otherPublic })).rejects.toMatchObject({ code: "invalid-key" });
    const otherStored = await exportResponderKeys(otherKeys);
    const swappedPrivate = { ...stored, privateKeyJwk: { ...otherStored.privateKeyJwk, x: stored.publicKey } };
    await expect(importResponderKeys(swappedPrivate)).rejects.toMatchObject({ code: "invalid-key" });
    const brokenJwk = { ...stored, privateKeyJwk: { ...stored.privateKeyJwk, d: "AAAA" } };
    await expect(importResponderKeys(brokenJwk)).rejects.toMatchObject({ code: "invalid-key" });
  });
});

describe("request signing", () => {
  it("signs the documented string, verifiable by an independent Ed25519 implementation (node:crypto)", async () => {
    const headers = await signed();
    expect(headers[HEADER_RESPONDER]).toBe(responderId);
    expect(headers[HEADER_TIMESTAMP]).toBe(String(NOW));
    expect(base64UrlToBytes(headers[HEADER_NONCE])).toHaveLength(16);
    const bodyHash = createHash("sha256").update(body).digest("hex");
    const expected = `corvid-v1\nPOST\n${path}\n${NOW}\n${headers[HEADER_NONCE]}\n${bodyHash}`;
    expect(await buildSigningString({ method: "post", path, timestamp: String(NOW), nonce: headers[HEADER_NONCE], body })).toBe(expected);
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: publicKeyToBase64Url(keys.publicKeyRaw) },
      format: "jwk",
    });
    expect(nodeVerify(null, Buffer.from(expected), publicKey, Buffer.from(base64UrlToBytes(headers[HEADER_SIGNATURE])))).toBe(true);
  });

  it("uses a fresh nonce for every request", async () => {
    const first = await signed();
    const second = await signed();
    expect(first[HEADER_NONCE]).not.toBe(second[HEADER_NONCE]);
  });

  it("hashes an absent body as empty bytes, and binary bodies as they are", async () => {
    const chunk = new Uint8Array([0, 1, 2, 255]);
    const headers = await signRequest({ method: "PUT", path: responderPaths.uploadChunk("up_1", 0), body: chunk, keys, responderId, now: NOW });
    const ok = await verify(headers, { method: "PUT", path: responderPaths.uploadChunk("up_1", 0), body: chunk.buffer });
    expect(ok).toEqual({ ok: true });
    const noBody = await signRequest({ method: "GET", path, keys, responderId, now: NOW });
    expect(await verify(noBody, { method: "GET", body: new Uint8Array(0) })).toEqual({ ok: true });
  });

  it("signs a Node Buffer body over its own bytes, not Node's shared buffer pool", async () => {
    const pooled = Buffer.from('{"small":"body from the pool"}');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const headers = await signRequest({ method: "POST", path, body: pooled, keys, responderId, now: NOW });
    expect(await verify(headers, { body: new TextEncoder().encode(pooled.toString()) })).toEqual({ ok: true });
  });

  it("refuses paths and methods that could break the signed string", async () => {
    await expect(signRequest({ method: "POST", path: "/a\nb", keys, responderId })).rejects.toMatchObject({ code: "invalid-argument" });
    await expect(signRequest({ method: "PO ST", path, keys, responderId })).rejects.toMatchObject({ code: "invalid-argument" });
    await expect(signRequest({ method: "POST", path: "relative", keys, responderId })).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe("request verification", () => {
  it("accepts a valid request, from a plain header object or a Headers instance, with any key form", async () => {
    const headers = await signed();
    expect(await verify(headers)).toEqual({ ok: true });
    expect(await verify(new Headers(headers))).toEqual({ ok: true });
    expect(await verify(headers, { publicKey: publicKeyToBase64Url(keys.publicKeyRaw) })).toEqual({ ok: true });
    expect(await verify(headers, { publicKey: keys.publicKey })).toEqual({ ok: true });
  });

  it("rejects a tampered body", async () => {
    const headers = await signed();
    expect(await verify(headers, { body: body.replace("[]", '["t1"]') })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a tampered path, query or method", async () => {
    const headers = await signed();
    expect(await verify(headers, { path: responderPaths.checkin })).toEqual({ ok: false, reason: "bad-signature" });
    expect(await verify(headers, { path: responderPaths.uploads })).toEqual({ ok: false, reason: "bad-signature" });
    expect(await verify(headers, { method: "PUT" })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a signature made with another key", async () => {
    const headers = await signed({ signWith: otherKeys });
    expect(await verify(headers)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a tampered timestamp or nonce (both are signed)", async () => {
    const headers = await signed();
    expect(await verify({ ...headers, [HEADER_TIMESTAMP]: String(NOW + 1) })).toEqual({ ok: false, reason: "bad-signature" });
    const nonce = headers[HEADER_NONCE];
    const flipped = (nonce[0] === "A" ? "B" : "A") + nonce.slice(1);
    expect(await verify({ ...headers, [HEADER_NONCE]: flipped })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects stale timestamps and accepts the edge of the window", async () => {
    const old = await signed({ now: NOW - MAX_CLOCK_SKEW_MS - 1 });
    expect(await verify(old)).toEqual({ ok: false, reason: "stale-timestamp" });
    const edge = await signed({ now: NOW - MAX_CLOCK_SKEW_MS });
    expect(await verify(edge)).toEqual({ ok: true });
  });

  it("rejects timestamps too far in the future", async () => {
    const future = await signed({ now: NOW + MAX_CLOCK_SKEW_MS + 1 });
    expect(await verify(future)).toEqual({ ok: false, reason: "stale-timestamp" });
  });

  it("rejects a replayed nonce for as long as the timestamp is acceptable", async () => {
    const nonceStore = new InMemoryNonceStore();
    const headers = await signed({ now: NOW + MAX_CLOCK_SKEW_MS });
    expect(await verify(headers, { nonceStore })).toEqual({ ok: true });
    expect(await verify(headers, { nonceStore })).toEqual({ ok: false, reason: "replayed-nonce" });
    // Latest moment the timestamp still passes: the nonce must still be remembered.
    const latest = NOW + 2 * MAX_CLOCK_SKEW_MS;
    expect(await verify(headers, { nonceStore, now: latest - 1 })).toEqual({ ok: false, reason: "replayed-nonce" });
    expect(await verify(headers, { nonceStore, now: latest + 1 })).toEqual({ ok: false, reason: "stale-timestamp" });
  });

  it("does not let a forged request consume a nonce", async () => {
    const nonceStore = new InMemoryNonceStore();
    const headers = await signed();
    expect(await verify(headers, { nonceStore, body: "forged" })).toEqual({ ok: false, reason: "bad-signature" });
    expect(await verify(headers, { nonceStore })).toEqual({ ok: true });
  });

  it("rejects a responder ID that differs from the expected one or from the key", async () => {
    const otherId = await responderIdFromPublicKey(otherKeys.publicKeyRaw);
    const headers = await signed();
    expect(await verify(headers, { expectedResponderId: otherId })).toEqual({ ok: false, reason: "responder-mismatch" });
    // Header and expected ID agree, but the stored key belongs to someone else.
    const claimed = await signed({ signWith: otherKeys, responderId });
    expect(await verify(claimed, { publicKey: otherKeys.publicKeyRaw })).toEqual({ ok: false, reason: "responder-mismatch" });
  });

  it("reports missing or malformed headers", async () => {
    const headers = await signed();
    for (const name of [HEADER_RESPONDER, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE] as const) {
      const { [name]: _removed, ...rest } = headers;
      expect(await verify(rest)).toEqual({ ok: false, reason: "missing-header" });
    }
    expect(await verify({ ...headers, [HEADER_TIMESTAMP]: "1e12" })).toEqual({ ok: false, reason: "missing-header" });
    expect(await verify({ ...headers, [HEADER_SIGNATURE]: "short" })).toEqual({ ok: false, reason: "missing-header" });
    const repeated = { ...headers, [HEADER_SIGNATURE]: [headers[HEADER_SIGNATURE], headers[HEADER_SIGNATURE]] };
    expect(await verifyRequest({
      method: "POST", path, headers: repeated, body, publicKey: keys.publicKeyRaw, expectedResponderId: responderId, now: NOW,
      nonceStore: new InMemoryNonceStore(),
    })).toEqual({ ok: false, reason: "missing-header" });
  });
});

describe("re-enrollment", () => {
  it("answers 410 reenroll with an ErrorBody the responder can recognise", () => {
    const body = ErrorBody.parse(JSON.parse(JSON.stringify(errorBody("reenroll", "unknown responder: enroll again"))));
    expect(body.error.code).toBe("reenroll");
    expect(ERROR_STATUS[body.error.code]).toBe(410);
  });

  it("gives a fresh key pair a new responder ID, and requests signed with the old key stop verifying", async () => {
    const fresh = await generateResponderKeys();
    const freshId = await responderIdFromPublicKey(fresh.publicKeyRaw);
    expect(freshId).not.toBe(responderId);
    const oldRequest = await signed();
    expect(await verify(oldRequest, { publicKey: fresh.publicKeyRaw, expectedResponderId: freshId })).toEqual({
      ok: false,
      reason: "responder-mismatch",
    });
    const newRequest = await signed({ signWith: fresh, responderId: freshId });
    expect(await verify(newRequest, { publicKey: fresh.publicKeyRaw, expectedResponderId: freshId })).toEqual({ ok: true });
  });
});

describe("in-memory nonce store", () => {
  it("forgets nonces once they expire", () => {
    const store = new InMemoryNonceStore({ sweepIntervalMs: 0 });
    expect(store.rememberIfNew("a", 1_000, 0)).toBe(true);
    expect(store.rememberIfNew("a", 1_000, 999)).toBe(false);
    expect(store.rememberIfNew("b", 5_000, 999)).toBe(true);
    expect(store.size).toBe(2);
    expect(store.rememberIfNew("c", 9_000, 1_000)).toBe(true);
    expect(store.size).toBe(2);
    expect(store.rememberIfNew("a", 9_000, 1_000)).toBe(true);
  });
});
