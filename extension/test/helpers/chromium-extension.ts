// What both Chromium end-to-end tests need: the built extension under a known ID, Chromium with it loaded and a
// managed policy for it, a website to visit, and polling.
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { CHROMIUM_ARGS, findChromium } from "@corvid/testing";
import { chromium, type BrowserContext, type Worker } from "playwright-core";

const extensionDir = path.resolve(import.meta.dirname, "../..");
const POLICY_DIR = "/etc/chromium/policies/managed";

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Builds the extension into `work` with a fresh key, so its ID is known before Chromium loads it. */
export function buildExtension(work: string): { extensionId: string; unpacked: string } {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" });
  writeFileSync(path.join(work, "public-key.b64"), spki.toString("base64"));
  const extensionId = [...createHash("sha256").update(spki).digest("hex").slice(0, 32)].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join("");
  const outDir = path.join(work, "build");
  execFileSync(process.execPath, [path.resolve(extensionDir, "../node_modules/wxt/bin/wxt.mjs"), "build"], {
    cwd: extensionDir,
    env: { ...process.env, CORVID_EXTENSION_KEY_FILE: path.join(work, "public-key.b64"), CORVID_EXTENSION_OUT_DIR: outDir },
    stdio: "pipe",
  });
  return { extensionId, unpacked: path.join(outDir, "chrome-mv3") };
}

/**
 * Writes the managed policy for the extension (the caller removes the returned file). Chromium reads every file in
 * the directory whenever one changes, so the file appears whole: written next to the directory, then renamed in.
 */
export function installPolicy(name: string, extensionId: string, policy: Record<string, unknown>): string {
  const policyFile = path.join(POLICY_DIR, `${name}-${process.pid}.json`);
  const staging = path.join(POLICY_DIR, "..", `.${name}-${process.pid}.json.tmp`);
  mkdirSync(POLICY_DIR, { recursive: true });
  writeFileSync(staging, JSON.stringify({ "3rdparty": { extensions: { [extensionId]: policy } } }));
  renameSync(staging, policyFile);
  return policyFile;
}

export async function launchWithExtension(work: string, extensionId: string, unpacked: string): Promise<{ context: BrowserContext; worker: Worker }> {
  const context = await chromium.launchPersistentContext(path.join(work, "profile"), {
    executablePath: findChromium(),
    headless: true,
    ignoreDefaultArgs: ["--disable-extensions"],
    acceptDownloads: true,
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${unpacked}`, `--load-extension=${unpacked}`],
  });
  const isOurs = (candidate: Worker) => candidate.url().startsWith(`chrome-extension://${extensionId}/`);
  const worker = context.serviceWorkers().find(isOurs) ?? (await context.waitForEvent("serviceworker", { predicate: isOurs, timeout: 60_000 }));
  return { context, worker };
}

/** Pages that set a cookie and offer a download, like any website. */
export function startSite(): Promise<{ origin: string; close(): void }> {
  const server = http.createServer((request, response) => {
    if (request.url === "/tool.sh") {
      response.writeHead(200, { "content-type": "application/x-sh", "content-disposition": 'attachment; filename="tool.sh"' });
      response.end("#!/bin/sh\necho hi\n");
      return;
    }
    response.writeHead(200, { "content-type": "text/html", "set-cookie": `visited${request.url?.replace(/\W/g, "")}=1; HttpOnly; Path=/` });
    response.end(`<title>Page ${request.url}</title><a id="dl" href="/tool.sh" download>tool</a>`);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

/** Stops the extension's service worker the way Chrome does when it idles out, and waits until it has stopped. */
export async function stopServiceWorker(context: BrowserContext, extensionId: string): Promise<void> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("ServiceWorker.enable");
  const versions: { versionId: string; scriptURL: string; runningStatus: string }[] = [];
  cdp.on("ServiceWorker.workerVersionUpdated", (event) => versions.push(...event.versions));
  const running = await until("the running service worker version", () => versions.find((version) => version.scriptURL.includes(extensionId) && version.runningStatus === "running"));
  await cdp.send("ServiceWorker.stopWorker", { versionId: running.versionId });
  await until("the service worker to stop", () => versions.some((version) => version.versionId === running.versionId && version.runningStatus === "stopped"));
  await cdp.detach();
  await page.close();
}
