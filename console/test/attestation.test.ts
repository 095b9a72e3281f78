// Console attestation on real SQLite and PostgreSQL: the identity loaded from an openssl-made CA (as server.js makes
// it), POST /identity checked exactly as a pinned responder checks it, and signed answers on the real HTTP server.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  ErrorBody,
  HEADER_ATTEST,
  HEADER_CONSOLE_SIGNATURE,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  bytesToBase64Url,
  importPublicKey,
  responderPaths,
  verifyConsoleIdentity,
  verifyResponseSignature,
} from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_KEY_FILE, loadConsoleIdentity, type ConsoleIdentityKeys } from "../app/lib/responder/identity.server.ts";
import { tempDir } from "./helpers/databases.ts";
import {
  DATABASE_KINDS,
  enroll,
  issueToken,
  openTestEnvironment,
  seedOrganization,
  startResponderServer,
  TestResponder,
  type TestEnvironment,
} from "./helpers/responder-fixtures.ts";

/** A CA exactly like server.js creates it (openssl, EC P-256), or with `keyArgs` another key type. */
function makeCa(tlsDir: string, keyArgs = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]): string {
  mkdirSync(tlsDir, { recursive: true });
  execFileSync("openssl", ["req", "-x509", ...keyArgs, "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Corvid test CA"], {
    cwd: tlsDir,
    stdio: "ignore",
  });
  return tlsDir;
}

const freshNonce = () => bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
const pinOf = (identity: ConsoleIdentityKeys) => identity.caFingerprint;

describe("loading the console identity", () => {
  const work = tempDir("corvid-identity-");
  afterAll(() => work.remove());

  it("is absent without a CA, and otherwise keeps one persisted signing key endorsed by the CA", async () => {
    expect(await loadConsoleIdentity(path.join(work.dir, "none"))).toBeUndefined();
    const tlsDir = makeCa(path.join(work.dir, "ok"));
    const first = (await loadConsoleIdentity(tlsDir))!;
    const second = (await loadConsoleIdentity(tlsDir))!;
    expect(second.identity.consoleKey).toBe(first.identity.consoleKey);
    expect(statSync(path.join(tlsDir, CONSOLE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const der = new Uint8Array(Buffer.from(readFileSync(path.join(tlsDir, "ca.crt"), "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64"));
    expect(first.identity.caCertificate).toBe(bytesToBase64Url(der));
  });

  it("refuses a ca.key that does not belong to ca.crt, and a CA key that is not P-256", async () => {
    const tlsDir = makeCa(path.join(work.dir, "mismatch"));
    const other = makeCa(path.join(work.dir, "other"));
    execFileSync("cp", [path.join(other, "ca.key"), path.join(tlsDir, "ca.key")]);
    await expect(loadConsoleIdentity(tlsDir)).rejects.toThrow(/does not belong to/);
    const rsa = makeCa(path.join(work.dir, "rsa"), ["-newkey", "rsa:2048"]);
    await expect(loadConsoleIdentity(rsa)).rejects.toThrow(/not an EC P-256 key/);
  });
});

describe.each(DATABASE_KINDS)("console attestation on %s", (_kind, createDatabase) => {
  const work = tempDir("corvid-attest-");
  let identity: ConsoleIdentityKeys;
  let env: TestEnvironment;
  let server: { url: string; close(): Promise<void> };
  let token: string;

  beforeAll(async () => {
    identity = (await loadConsoleIdentity(makeCa(path.join(work.dir, "tls"))))!;
    env = await openTestEnvironment(createDatabase, { identity });
    server = await startResponderServer(env.ctx);
    const org = await seedOrganization(env.db, "pinned");
    token = await issueToken(env.db, org);
  });
  afterAll(async () => {
    await server?.close();
    await env?.close();
    work.remove();
  });

  const identityRequest = (nonce: string | undefined, attest = true) =>
    fetch(server.url + responderPaths.identity, {
      method: "POST",
      headers: { "content-type": "application/json", ...(attest ? { [HEADER_ATTEST]: "1" } : {}), ...(nonce ? { [HEADER_NONCE]: nonce } : {}) },
      body: "{}",
    });

  it("proves possession of the pinned CA for a fresh nonce, and fails the wrong pin", async () => {
    const nonce = freshNonce();
    const response = await identityRequest(nonce);
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    const signature = response.headers.get(HEADER_CONSOLE_SIGNATURE);
    const attested = await verifyConsoleIdentity({ pin: pinOf(identity), nonce, status: 200, body, signature });
    expect(attested.consoleKey).toBe(identity.identity.consoleKey);
    await expect(verifyConsoleIdentity({ pin: "0".repeat(64), nonce, status: 200, body, signature })).rejects.toMatchObject({ reason: "pin-mismatch" });
    await expect(verifyConsoleIdentity({ pin: pinOf(identity), nonce: freshNonce(), status: 200, body, signature })).rejects.toMatchObject({ reason: "bad-signature" });
  });

  it("asks for x-corvid-attest and a well-formed nonce", async () => {
    for (const response of [await identityRequest(undefined), await identityRequest("short"), await identityRequest(freshNonce(), false)]) {
      expect(response.status).toBe(400);
      expect(ErrorBody.parse(await response.json()).error.message).toMatch(/x-corvid-attest/);
    }
  });

  it("signs enrollment and check-in answers bound to the request, errors included, only when asked", async () => {
    const consoleKey = await importPublicKey(identity.identity.consoleKey);
    const responder = await TestResponder.create();
    const enrollRequest = responder.enrollRequest(token, undefined, "browser");
    const nonce = freshNonce();
    const enrolled = await fetch(server.url + responderPaths.enroll, {
      method: "POST",
      headers: { "content-type": "application/json", [HEADER_ATTEST]: "1", [HEADER_NONCE]: nonce },
      body: await enrollRequest.text(),
    });
    expect(enrolled.status).toBe(200);
    const enrolledBody = new Uint8Array(await enrolled.arrayBuffer());
    expect(await verifyResponseSignature({ nonce, status: 200, body: enrolledBody, consoleKey, signature: enrolled.headers.get(HEADER_CONSOLE_SIGNATURE) })).toBe(true);

    const signed = await responder.signed("POST", responderPaths.checkin, responder.checkinBody(), { base: server.url, headers: { [HEADER_ATTEST]: "1" } });
    const binding = { nonce: signed.headers.get(HEADER_NONCE)!, requestSignature: signed.headers.get(HEADER_SIGNATURE)! };
    const checkin = await fetch(signed);
    expect(checkin.status).toBe(200);
    const checkinBody = new Uint8Array(await checkin.arrayBuffer());
    const checkinSignature = checkin.headers.get(HEADER_CONSOLE_SIGNATURE);
    expect(await verifyResponseSignature({ ...binding, status: 200, body: checkinBody, consoleKey, signature: checkinSignature })).toBe(true);
    // Bound to this request: the same answer does not verify for another request's signature.
    expect(await verifyResponseSignature({ ...binding, requestSignature: "A".repeat(86), status: 200, body: checkinBody, consoleKey, signature: checkinSignature })).toBe(false);

    // A replay is refused with 401, and the refusal is signed too, so a responder can trust what it is told.
    const replay = await fetch(new Request(signed.url, { method: "POST", headers: signed.headers, body: JSON.stringify(responder.checkinBody()) }));
    expect(replay.status).toBe(401);
    const replayBody = new Uint8Array(await replay.arrayBuffer());
    expect(await verifyResponseSignature({ ...binding, status: 401, body: replayBody, consoleKey, signature: replay.headers.get(HEADER_CONSOLE_SIGNATURE) })).toBe(true);

    // Unpinned responders (and the native agent) do not ask and get exactly what they got before.
    const unpinned = await enroll(env.ctx, token);
    const plain = await fetch(await unpinned.signed("POST", responderPaths.checkin, unpinned.checkinBody(), { base: server.url }));
    expect(plain.status).toBe(200);
    expect(plain.headers.has(HEADER_CONSOLE_SIGNATURE)).toBe(false);
  });
});

describe.each(DATABASE_KINDS)("a console without a CA on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    server = await startResponderServer(env.ctx);
  });
  afterAll(async () => {
    await server?.close();
    await env?.close();
  });

  it("refuses the identity request with a message saying what to change, and signs nothing", async () => {
    const response = await fetch(server.url + responderPaths.identity, {
      method: "POST",
      headers: { "content-type": "application/json", [HEADER_ATTEST]: "1", [HEADER_NONCE]: freshNonce() },
      body: "{}",
    });
    expect(response.status).toBe(404);
    expect(response.headers.has(HEADER_CONSOLE_SIGNATURE)).toBe(false);
    expect(ErrorBody.parse(await response.json()).error.message).toMatch(/no CA to attest with.*remove caFingerprint/);
  });
});
