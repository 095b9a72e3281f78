// The protocol must run unchanged in a browser (the extension responder) and interoperate with Node (agent, console).
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, findChromium } from "@corvid/testing";
import {
  InMemoryNonceStore,
  PROTOCOL_VERSION,
  type SignedHeaders,
  bytesToBase64Url,
  caFingerprintFromDer,
  endorseConsoleKey,
  exportResponderKeys,
  generateResponderKeys,
  importResponderKeys,
  responderIdFromPublicKey,
  responderPaths,
  signRequest,
  signResponse,
  verifyRequest,
} from "../src/index.ts";
import { checkinRequest } from "./fixtures/messages.ts";

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));

const SECURE_PAGE = "http://localhost/protocol-test";

let browser: Browser;
let page: Page;
let bundle: string;

interface BrowserResult {
  responderId: string;
  stored: unknown;
  headers: SignedHeaders;
  checkinValid: boolean;
  interval: number;
  verifiedNodeRequest: { ok: boolean };
}

/** Runs in the browser: `scope` is a page or a worker global, both have the bundle's `corvidProtocol`. */
async function exerciseProtocol(input: { body: string; path: string; nodeStored: unknown; nodeHeaders: Record<string, string>; now: number }) {
  const p = (globalThis as unknown as { corvidProtocol: typeof import("../src/index.ts") }).corvidProtocol;
  const keys = await p.generateResponderKeys();
  const responderId = await p.responderIdFromPublicKey(keys.publicKeyRaw);
  const headers = await p.signRequest({ method: "POST", path: input.path, body: input.body, keys, responderId, now: input.now });
  const nodeKeys = await p.importResponderKeys(input.nodeStored);
  const verifiedNodeRequest = await p.verifyRequest({
    method: "POST",
    path: input.path,
    headers: input.nodeHeaders,
    body: input.body,
    publicKey: nodeKeys.publicKeyRaw,
    expectedResponderId: await p.responderIdFromPublicKey(nodeKeys.publicKeyRaw),
    now: input.now,
    nonceStore: new p.InMemoryNonceStore(),
  });
  return {
    responderId,
    stored: await p.exportResponderKeys(keys),
    headers,
    checkinValid: p.CheckinRequest.safeParse(JSON.parse(input.body)).success,
    interval: p.computeCheckinInterval(50_000, () => 0.5),
    verifiedNodeRequest,
  };
}

async function nodeSide(now: number, body: string) {
  const keys = await generateResponderKeys();
  const responderId = await responderIdFromPublicKey(keys.publicKeyRaw);
  const nodeHeaders = await signRequest({ method: "POST", path: responderPaths.checkin, body, keys, responderId, now });
  return { nodeStored: await exportResponderKeys(keys), nodeHeaders };
}

async function checkBrowserResult(result: BrowserResult, now: number, body: string) {
  expect(result.checkinValid).toBe(true);
  expect(result.interval).toBe(500);
  expect(result.verifiedNodeRequest).toEqual({ ok: true });
  // Keys exported by the browser import in Node, and the browser's signature verifies in Node.
  const restored = await importResponderKeys(result.stored);
  expect(await responderIdFromPublicKey(restored.publicKeyRaw)).toBe(result.responderId);
  const verdict = await verifyRequest({
    method: "POST",
    path: responderPaths.checkin,
    headers: result.headers,
    body,
    publicKey: restored.publicKeyRaw,
    expectedResponderId: result.responderId,
    now,
    nonceStore: new InMemoryNonceStore(),
  });
  expect(verdict).toEqual({ ok: true });
}

describe("in Chromium", () => {
  beforeAll(async () => {
    const output = await build({ entryPoints: [entry], bundle: true, format: "iife", globalName: "corvidProtocol", platform: "browser", write: false });
    bundle = output.outputFiles[0]!.text;
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
    // WebCrypto exists only in secure contexts; http://localhost is one (as is chrome-extension://).
    await page.route(SECURE_PAGE, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>protocol</title>" }));
    await page.goto(SECURE_PAGE);
    await page.addScriptTag({ content: bundle });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("bundles for the browser without Node built-ins", () => {
    expect(bundle).not.toMatch(/require\("node:|from "node:/);
  });

  it("signs, verifies and stores keys in a page, interoperating with Node", async () => {
    const now = Date.now();
    const body = JSON.stringify(checkinRequest);
    const node = await nodeSide(now, body);
    const result = await page.evaluate(exerciseProtocol, { body, path: responderPaths.checkin, now, ...node });
    await checkBrowserResult(result as BrowserResult, now, body);
  });

  it("checks a console identity made in Node with an openssl CA: DER reader, P-256 SPKI import, endorsement, response signature", async () => {
    const fixture = (name: string) => readFileSync(new URL(`./fixtures/attestation/${name}`, import.meta.url));
    const der = new Uint8Array(new X509Certificate(fixture("ca.crt")).raw);
    const pkcs8 = createPrivateKey(fixture("ca.key")).export({ format: "der", type: "pkcs8" });
    const caKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const consoleKeys = await generateResponderKeys();
    const consoleKey = bytesToBase64Url(consoleKeys.publicKeyRaw);
    const nonce = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    const body = JSON.stringify({ protocolVersion: PROTOCOL_VERSION, caCertificate: bytesToBase64Url(der), consoleKey, endorsement: await endorseConsoleKey(caKey, consoleKey) });
    const signature = await signResponse({ nonce, status: 200, body, privateKey: consoleKeys.privateKey });
    const outcome = await page.evaluate(
      async ({ pin, nonce, body, signature }) => {
        const p = (globalThis as unknown as { corvidProtocol: typeof import("../src/index.ts") }).corvidProtocol;
        const bytes = new TextEncoder().encode(body);
        const attested = await p.verifyConsoleIdentity({ pin, nonce, status: 200, body: bytes, signature });
        const wrongPin = await p.verifyConsoleIdentity({ pin: "ab".repeat(32), nonce, status: 200, body: bytes, signature }).catch((error: { reason: string }) => error.reason);
        return { consoleKey: attested.consoleKey, wrongPin };
      },
      { pin: await caFingerprintFromDer(der), nonce, body, signature },
    );
    expect(outcome).toEqual({ consoleKey, wrongPin: "pin-mismatch" });
  });

  it("explains that WebCrypto needs a secure context instead of failing obscurely", async () => {
    const insecure = await browser.newPage();
    try {
      await insecure.addScriptTag({ content: bundle });
      const failure = await insecure.evaluate(async () => {
        const p = (globalThis as unknown as { corvidProtocol: typeof import("../src/index.ts") }).corvidProtocol;
        return p.generateResponderKeys().then(
          () => null,
          (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
        );
      });
      expect(failure?.code).toBe("unsupported-platform");
      expect(failure?.message).toMatch(/secure context/);
    } finally {
      await insecure.close();
    }
  });

  it("does the same in a worker, which has no DOM (like the MV3 service worker)", async () => {
    const now = Date.now();
    const body = JSON.stringify(checkinRequest);
    const node = await nodeSide(now, body);
    const result = await page.evaluate(
      async ({ bundle, source, input }) => {
        const script = `${bundle}\nconst exercise = ${source};\nself.onmessage = async (e) => { try { self.postMessage({ result: await exercise(e.data) }); } catch (error) { self.postMessage({ error: String(error) }); } };`;
        const worker = new Worker(URL.createObjectURL(new Blob([script], { type: "text/javascript" })));
        const reply = await new Promise<{ result?: unknown; error?: string }>((resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => resolve({ error: event.message });
          worker.postMessage(input);
        });
        worker.terminate();
        if (reply.error) throw new Error(reply.error);
        return reply.result;
      },
      { bundle, source: exerciseProtocol.toString(), input: { body, path: responderPaths.checkin, now, ...node } },
    );
    await checkBrowserResult(result as BrowserResult, now, body);
  });
});
