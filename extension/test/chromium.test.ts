// The built extension in real Debian Chromium: managed policy → enrollment → acquisition → tables, and an upload
// that survives the service worker being stopped mid-way. The console here is the protocol-validating test console.
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHROMIUM_ARGS, findChromium } from "@corvid/testing";
import type { TaskAssignment } from "@corvid/protocol";
import { chromium, type BrowserContext, type Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeConsole } from "./helpers/fake-console.ts";

const extensionDir = path.resolve(import.meta.dirname, "..");
const POLICY_DIR = "/etc/chromium/policies/managed";
const TOKEN = `cvd_dt_${"c".repeat(52)}`;

function extensionIdFromSpki(spki: Buffer): string {
  return [...createHash("sha256").update(spki).digest("hex").slice(0, 32)].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join("");
}

function task(taskId: string, artifacts: string[]): TaskAssignment {
  return { taskId, kind: "acquisition", caseId: "case1", artifacts: artifacts.map((name) => ({ name })), limits: { cpuPercent: 50, memoryMb: 256, timeoutSec: 600 }, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Pages that set a cookie and offer a download, like any website. */
function startSite(): Promise<{ origin: string; close(): void }> {
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

describe("extension in Chromium with managed policy", () => {
  const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-e2e-"));
  const outDir = path.join(work, "build");
  const policyFile = path.join(POLICY_DIR, `corvid-extension-test-${process.pid}.json`);
  let extensionId: string;
  let fakeConsole: FakeConsole;
  let site: { origin: string; close(): void };
  let context: BrowserContext;
  let worker: Worker;

  beforeAll(async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const spki = publicKey.export({ type: "spki", format: "der" });
    writeFileSync(path.join(work, "public-key.b64"), spki.toString("base64"));
    extensionId = extensionIdFromSpki(spki);
    execFileSync(process.execPath, [path.resolve(extensionDir, "../node_modules/wxt/bin/wxt.mjs"), "build"], {
      cwd: extensionDir,
      env: { ...process.env, CORVID_EXTENSION_KEY_FILE: path.join(work, "public-key.b64"), CORVID_EXTENSION_OUT_DIR: outDir },
      stdio: "pipe",
    });
    fakeConsole = await new FakeConsole().start();
    site = await startSite();
    mkdirSync(POLICY_DIR, { recursive: true });
    writeFileSync(policyFile, JSON.stringify({ "3rdparty": { extensions: { [extensionId]: { consoleUrl: fakeConsole.origin, deploymentToken: TOKEN, tags: ["e2e"], profileEmail: "analyst@example.test" } } } }));
    const unpacked = path.join(outDir, "chrome-mv3");
    context = await chromium.launchPersistentContext(path.join(work, "profile"), {
      executablePath: findChromium(),
      headless: true,
      ignoreDefaultArgs: ["--disable-extensions"],
      acceptDownloads: true,
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${unpacked}`, `--load-extension=${unpacked}`],
    });
    const isOurs = (candidate: Worker) => candidate.url().startsWith(`chrome-extension://${extensionId}/`);
    worker = context.serviceWorkers().find(isOurs) ?? (await context.waitForEvent("serviceworker", { predicate: isOurs, timeout: 60_000 }));
  }, 180_000);

  afterAll(async () => {
    rmSync(policyFile, { force: true });
    await context?.close();
    site?.close();
    await fakeConsole?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("enrolls from the managed policy as a browser responder", async () => {
    await until("enrollment", () => fakeConsole.checkins.length > 0);
    const [enrolled] = [...fakeConsole.responders.values()];
    expect(enrolled?.kind).toBe("browser");
    expect(fakeConsole.checkins[0]?.facts).toMatchObject({ platform: "browser", tags: ["e2e"], browser: { extensionId, profileEmail: "analyst@example.test" } });
  }, 120_000);

  it("collects visited URLs, the download, cookies metadata and the extension list for a task, and triages them with Sigma", async () => {
    const page = await context.newPage();
    for (const n of [1, 2, 3]) await page.goto(`${site.origin}/page/${n}`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#dl")]);
    await download.path();
    fakeConsole.queued.push(task("t1", ["Browser.History", "Browser.Downloads", "Browser.Extensions", "Browser.Cookies", "Browser.Tabs", "Browser.Device", "Browser.Triage"]));
    await worker.evaluate(() => (globalThis as unknown as { corvid: { tick(): Promise<unknown> } }).corvid.tick());
    const final = await until("task t1 to finish", () => fakeConsole.progress.find((entry) => entry.taskId === "t1" && entry.body.state !== "running"));
    expect(final.body).toMatchObject({ state: "completed" });
    expect(final.body.error).toBeUndefined();
    const visited = fakeConsole.table("Browser.History.jsonl").map((row) => row.url);
    for (const n of [1, 2, 3]) expect(visited).toContain(`${site.origin}/page/${n}`);
    expect(fakeConsole.table("Browser.Downloads.jsonl")).toContainEqual(expect.objectContaining({ url: `${site.origin}/tool.sh`, state: "complete" }));
    expect(fakeConsole.table("Browser.Extensions.jsonl")).toContainEqual(expect.objectContaining({ id: extensionId, install_type: "development", known_malicious: false }));
    const cookies = fakeConsole.table("Browser.Cookies.jsonl").filter((row) => row.domain === "127.0.0.1");
    expect(cookies.length).toBeGreaterThanOrEqual(3);
    expect(cookies.every((row) => row.http_only === true && row.value === null)).toBe(true);
    expect(fakeConsole.table("Browser.Tabs.jsonl").map((row) => row.url)).toContain(`${site.origin}/page/3`);
    expect(fakeConsole.table("Browser.Device.jsonl")[0]).toMatchObject({ os: "Linux", browser_version: expect.stringMatching(/^\d+\./) });
    // Every row also went into the sqlite-wasm evidence database (OPFS, in the offscreen document's worker).
    type Hooks = { corvid: { evidenceCount(filter: { taskId: string; artifact?: string }): Promise<number>; evidenceInfo(): Promise<{ libVersion: string; vfs: string }> } };
    expect(await worker.evaluate(() => (globalThis as unknown as Hooks).corvid.evidenceInfo())).toMatchObject({ libVersion: "3.54.1", vfs: "opfs-sahpool" });
    const stored = await worker.evaluate(() => (globalThis as unknown as Hooks).corvid.evidenceCount({ taskId: "t1", artifact: "Browser.History" }));
    expect(stored).toBe(fakeConsole.table("Browser.History.jsonl").length);
    // The shell script came from a site first visited minutes ago: the shipped Sigma rule fires on the device.
    expect(fakeConsole.table("Browser.Triage.jsonl")).toContainEqual(expect.objectContaining({ title: "Executable or script downloaded from a domain first visited that day", subject: `${site.origin}/tool.sh` }));
    await page.close();
  }, 120_000);

  it("finishes an upload with the right hash after the service worker is stopped mid-upload", async () => {
    // About 2,000 visits make a history table of several 64 KiB chunks.
    await worker.evaluate(async (origin) => {
      const history = (globalThis as unknown as { chrome: { history: { addUrl(details: { url: string }): Promise<void> } } }).chrome.history;
      for (let i = 0; i < 2000; i++) await history.addUrl({ url: `${origin}/seeded/${i}` });
    }, site.origin);
    const held = fakeConsole.holdChunk((index) => index >= 1);
    fakeConsole.queued.push(task("t2", ["Browser.History"]));
    void worker.evaluate(() => (globalThis as unknown as { corvid: { tick(): Promise<unknown> } }).corvid.tick()).catch(() => undefined);
    const stalled = await held;
    const cdp = await context.newCDPSession(await context.newPage());
    await cdp.send("ServiceWorker.enable");
    const versions: { versionId: string; scriptURL: string; runningStatus: string }[] = [];
    cdp.on("ServiceWorker.workerVersionUpdated", (event) => versions.push(...event.versions));
    const running = await until("the running service worker version", () => versions.find((version) => version.scriptURL.includes(extensionId) && version.runningStatus === "running"));
    await cdp.send("ServiceWorker.stopWorker", { versionId: running.versionId });
    await until("the service worker to stop", () => versions.some((version) => version.versionId === running.versionId && version.runningStatus === "stopped"));
    fakeConsole.release();
    // The periodic check-in alarm (30 s) wakes the worker; it resumes the journaled upload.
    const final = await until("task t2 to finish after the restart", () => fakeConsole.progress.find((entry) => entry.taskId === "t2" && entry.body.state !== "running"), 120_000);
    expect(final.body.state).toBe("completed");
    const upload = fakeConsole.uploads.get(stalled.uploadId)!;
    expect(upload.completed?.sha256).toBe(upload.begin.sha256);
    expect(upload.chunkPuts.filter((index) => index === 0)).toEqual([0]);
    expect(fakeConsole.table("Browser.History.jsonl", "t2").length).toBeGreaterThan(2000);
  }, 180_000);
});
