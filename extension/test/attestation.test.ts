// A pinned extension responder against a console that attests (ADR 006): the fake console of the unit tests behind
// a signing layer built from the protocol's console-side helpers, with a CA made by openssl like the console's.
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  bytesToBase64Url,
  caFingerprintFromDer,
  ConsoleAttestationError,
  endorseConsoleKey,
  generateResponderKeys,
  HEADER_CONSOLE_SIGNATURE,
  PROTOCOL_VERSION,
  responderPaths,
  responseBinding,
  signResponse,
  type ResponderKeys,
  type TaskAssignment,
} from "@corvid/protocol";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ArtifactCatalog } from "../src/collectors/catalog.ts";
import { Responder, type ResponderOptions } from "../src/lib/responder.ts";
import { MemorySpool } from "../src/lib/spool.ts";
import { ResponderState } from "../src/lib/state.ts";
import { ConsoleClient, type FetchLike } from "../src/lib/transport.ts";
import { FakeConsole } from "./helpers/fake-console.ts";
import { testBrowserFacts as facts } from "./helpers/asset-facts.ts";

const TOKEN = `cvd_dt_${"c".repeat(52)}`;


interface TestCa {
  der: Uint8Array;
  privateKey: CryptoKey;
  fingerprint: string;
}

async function makeCa(dir: string): Promise<TestCa> {
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Test console CA"], { cwd: dir, stdio: "ignore" });
  const der = new Uint8Array(new X509Certificate(readFileSync(path.join(dir, "ca.crt"))).raw);
  const pkcs8 = createPrivateKey(readFileSync(path.join(dir, "ca.key"))).export({ format: "der", type: "pkcs8" });
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return { der, privateKey, fingerprint: await caFingerprintFromDer(der) };
}

/**
 * The fake console behind an attesting layer, as the real console's route wrapper does it: /identity answered from
 * the CA and console key, every answer to a request with x-corvid-attest signed. `tamper` rewrites answers after
 * signing (a man in the middle); `sign: false` plays a console that does not sign.
 */
class AttestingLayer {
  readonly seen: { path: string; body: string }[] = [];
  tamper: ((path: string, body: string) => string) | undefined;
  sign = true;
  constructor(
    readonly target: FakeConsole,
    public ca: TestCa,
    public consoleKeys: ResponderKeys,
  ) {}

  readonly fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const requestBody = new TextDecoder().decode(init.body as Uint8Array);
    this.seen.push({ path: url.pathname, body: requestBody });
    const headers = new Headers(init.headers);
    let response: Response;
    if (url.pathname === responderPaths.identity) {
      const consoleKey = bytesToBase64Url(this.consoleKeys.publicKeyRaw);
      const identity = { protocolVersion: PROTOCOL_VERSION, caCertificate: bytesToBase64Url(this.ca.der), consoleKey, endorsement: await endorseConsoleKey(this.ca.privateKey, consoleKey) };
      response = new Response(JSON.stringify(identity), { status: 200 });
    } else {
      response = await fetch(this.target.origin + url.pathname + url.search, init);
    }
    const body = new Uint8Array(await response.arrayBuffer());
    const answerHeaders = new Headers({ "content-type": "application/json" });
    const binding = responseBinding(headers);
    if (this.sign && headers.has("x-corvid-attest") && binding) {
      answerHeaders.set(HEADER_CONSOLE_SIGNATURE, await signResponse({ ...binding, status: response.status, body, privateKey: this.consoleKeys.privateKey }));
    }
    const text = new TextDecoder().decode(body);
    return new Response(this.tamper ? this.tamper(url.pathname, text) : text, { status: response.status, headers: answerHeaders });
  };
}

describe("pinned extension responder (console attestation)", () => {
  const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-attest-"));
  let ca: TestCa;
  let rogueCa: TestCa;
  let fakeConsole: FakeConsole;
  let layer: AttestingLayer;
  let state: ResponderState;

  const responder = (overrides: Partial<ResponderOptions> = {}) =>
    new Responder({ api: fakeBrowser as unknown as ResponderOptions["api"], state, spool: new MemorySpool(), catalog: new ArtifactCatalog(), facts, fetch: layer.fetch, ...overrides });
  const setPolicy = (caFingerprint: string) => fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN, caFingerprint });
  const paths = () => layer.seen.map((request) => request.path.replace("/api/responder/v1", ""));

  beforeAll(async () => {
    ca = await makeCa(mkdtempSync(path.join(work, "ca-")));
    rogueCa = await makeCa(mkdtempSync(path.join(work, "rogue-")));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeEach(async () => {
    fakeBrowser.reset();
    fakeConsole = await new FakeConsole().start();
    layer = new AttestingLayer(fakeConsole, ca, await generateResponderKeys());
    state = new ResponderState(fakeBrowser.storage.local);
  });
  afterEach(() => fakeConsole.stop());

  it("with the right pin: attests first, enrolls, checks in with signed answers, and caches the console key", async () => {
    // Colons and upper case, as openssl prints fingerprints.
    await setPolicy(ca.fingerprint.toUpperCase().match(/../g)!.join(":"));
    expect(await responder().tick()).toMatchObject({ outcome: "checked-in" });
    expect(paths()).toEqual(["/identity", "/enroll", "/checkin"]);
    const enrollment = await state.enrollment();
    expect(enrollment).toMatchObject({ caFingerprint: ca.fingerprint, attestation: { caFingerprint: ca.fingerprint, consoleKey: bytesToBase64Url(layer.consoleKeys.publicKeyRaw) } });
    await responder().tick();
    expect(paths()).toEqual(["/identity", "/enroll", "/checkin", "/checkin"]);
  });

  it("with a wrong pin: refuses before the deployment token is sent, and says so in the status", async () => {
    await setPolicy(rogueCa.fingerprint);
    const outcome = await responder().tick();
    expect(outcome).toMatchObject({ outcome: "error" });
    expect(paths()).toEqual(["/identity"]);
    expect(layer.seen.some((request) => request.body.includes(TOKEN))).toBe(false);
    expect(fakeConsole.responders.size).toBe(0);
    const status = await state.status();
    expect(status).toMatchObject({ state: "error" });
    expect(status?.message).toMatch(new RegExp(`^ConsoleAttestationError: the console's CA ${ca.fingerprint} is not the pinned CA ${rogueCa.fingerprint}`));
  });

  it("refuses a console whose key the pinned CA did not endorse (a rogue console presenting the real certificate)", async () => {
    await setPolicy(ca.fingerprint);
    layer.ca = { ...ca, privateKey: rogueCa.privateKey };
    expect(await responder().tick()).toMatchObject({ outcome: "error", error: expect.stringMatching(/did not endorse/) });
    expect(paths()).toEqual(["/identity"]);
  });

  it("rejects a tampered check-in answer and an unsigned one, keeping none of their tasks", async () => {
    await setPolicy(ca.fingerprint);
    await responder().tick();
    const injected: TaskAssignment = {
      taskId: "evil",
      kind: "acquisition",
      caseId: "c1",
      artifacts: [{ name: "Browser.Cookies", parameters: { include_values: true } }],
      limits: { cpuPercent: 50, memoryMb: 256, timeoutSec: 600 },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    layer.tamper = (requestPath, body) => (requestPath.endsWith("/checkin") ? JSON.stringify({ ...JSON.parse(body), tasks: [injected] }) : body);
    expect(await responder().tick()).toMatchObject({ outcome: "error", error: expect.stringMatching(/ConsoleAttestationError: POST \/api\/responder\/v1\/checkin: the answer \(HTTP 200\) is not signed by the attested console key/) });
    expect(await state.tasks()).toEqual({});

    layer.tamper = undefined;
    layer.sign = false;
    expect(await responder().tick()).toMatchObject({ outcome: "error", error: expect.stringMatching(/carries no console signature/) });
    expect((await state.status())?.message).toMatch(/carries no console signature/);
  });

  it("re-attests when the cached console key stops verifying, and caches the new key", async () => {
    await setPolicy(ca.fingerprint);
    await responder().tick();
    layer.consoleKeys = await generateResponderKeys();
    expect(await responder().tick()).toMatchObject({ outcome: "checked-in" });
    expect(paths()).toEqual(["/identity", "/enroll", "/checkin", "/checkin", "/identity"]);
    expect((await state.enrollment())?.attestation?.consoleKey).toBe(bytesToBase64Url(layer.consoleKeys.publicKeyRaw));
  });

  it("follows the policy's current pin: added after enrollment it takes effect, and a key attested under another pin is not reused", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    expect(await responder().tick()).toMatchObject({ outcome: "checked-in" });
    expect(paths()).toEqual(["/enroll", "/checkin"]);
    await setPolicy(ca.fingerprint);
    expect(await responder().tick()).toMatchObject({ outcome: "checked-in" });
    expect(paths()).toEqual(["/enroll", "/checkin", "/identity", "/checkin"]);
    expect((await state.enrollment())?.attestation?.caFingerprint).toBe(ca.fingerprint);
    await setPolicy(rogueCa.fingerprint);
    expect(await responder().tick()).toMatchObject({ outcome: "error", error: expect.stringMatching(/is not the pinned CA/) });
    expect(paths().at(-1)).toBe("/identity");
  });

  it("treats a malformed pin in the policy as an invalid policy", async () => {
    await setPolicy("not-a-fingerprint");
    expect(await responder().tick()).toMatchObject({ outcome: "invalid-policy", problem: expect.stringMatching(/caFingerprint/) });
    expect(layer.seen).toEqual([]);
  });

  it("transport: a console answering the identity request with an error is refused with its reason", async () => {
    const client = new ConsoleClient({
      consoleUrl: "https://corvid.example",
      attestation: { caFingerprint: ca.fingerprint },
      fetch: async () => new Response(JSON.stringify({ error: { code: "not-found", message: "this console has no CA to attest with" } }), { status: 404 }),
    });
    const error = await client.attest().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleAttestationError);
    expect(error).toMatchObject({ reason: "unavailable", message: expect.stringMatching(/no CA to attest with/) });
  });
});
