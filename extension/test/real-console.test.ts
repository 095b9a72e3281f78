// The end-to-end test: the built extension in Debian Chromium against the real console process. Managed
// policy with a deployment token from the console's CLI → enrollment → the browser asset online in the console →
// an acquisition started in the console UI while the user browses and downloads → the service worker stopped in the
// middle of the history upload, which resumes → the evidence, read back through the console UI, holds the visits,
// the download and the extension list, with the SHA-256 the console recorded. The policy pins the console's CA
// (the console makes one as it would behind a TLS proxy), so all of this runs over attested, signed answers.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { ChunkHoldingProxy } from "@corvid/testing";
import type { BrowserContext, Page, Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExtension, installPolicy, launchWithExtension, startSite, stopServiceWorker, until } from "./helpers/chromium-extension.ts";

const consoleDir = path.resolve(import.meta.dirname, "../../console");
const PROFILE_EMAIL = "pupil@school.example";
/** Enough visits that the history table spans several 64 KiB chunks. */
const SEEDED_VISITS = 2000;

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`console exited (${code}):\n${output.slice(-2000)}`)));
  });
}

describe("extension with the real console", () => {
  const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-console-"));
  const dataDir = path.join(work, "data");
  // Small chunks make the seeded history a multi-chunk upload the relay can interrupt.
  const env = { ...process.env, HOST: "127.0.0.1", PORT: "0", CORVID_DATA_DIR: dataDir, DATABASE_URL: "", CORVID_UPLOAD_CHUNK_SIZE: "65536", CORVID_BEHIND_TLS_PROXY: "1" };
  let consoleProcess: ChildProcess;
  let consoleUrl: string;
  let proxy: ChunkHoldingProxy;
  let site: { origin: string; close(): void };
  let policyFile: string;
  let extensionId: string;
  let context: BrowserContext;
  let worker: Worker;
  let page: Page;
  let caseUrl: string;
  let caFingerprint: string;

  beforeAll(async () => {
    mkdirSync(dataDir);
    consoleProcess = spawn(process.execPath, ["server.js"], { cwd: consoleDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const loginLink = waitForOutput(consoleProcess, /login link: (\S+)/);
    const fingerprint = waitForOutput(consoleProcess, /CA fingerprint \(sha256\) ([0-9a-f]{64})/);
    consoleUrl = (await waitForOutput(consoleProcess, /console listening on (https?:\/\/\S+)/))[1]!;
    caFingerprint = (await fingerprint)[1]!;
    const created = execFileSync(process.execPath, [path.join(consoleDir, "bin/corvid.mjs"), "token", "create", "--org", "default", "--name", "chromebooks", "--tags", "chromeos"], { cwd: consoleDir, env, encoding: "utf8" });
    const token = /token: (\S+)/.exec(created)![1]!;
    proxy = new ChunkHoldingProxy(new URL(consoleUrl));
    const proxyUrl = await proxy.listen();
    site = await startSite();

    let unpacked: string;
    ({ extensionId, unpacked } = buildExtension(work));
    policyFile = installPolicy("corvid-extension-console-test", extensionId, { consoleUrl: proxyUrl, deploymentToken: token, profileEmail: PROFILE_EMAIL, caFingerprint });
    ({ context, worker } = await launchWithExtension(work, extensionId, unpacked));

    page = await context.newPage();
    await page.goto((await loginLink)[1]!);
    await page.locator('input[name="password"]').fill("correct horse battery staple");
    await page.locator('input[name="confirm"]').fill("correct horse battery staple");
    await page.getByRole("button", { name: "Set password and log in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  }, 240_000);

  afterAll(async () => {
    if (policyFile) rmSync(policyFile, { force: true });
    await context?.close();
    await proxy?.close();
    site?.close();
    consoleProcess?.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  /** The rows of one evidence table, downloaded raw from its console page and checked against the SHA-256 shown there. */
  async function evidenceRows(artifact: string): Promise<Record<string, unknown>[]> {
    await page.goto(caseUrl);
    const link = page.locator(`[data-testid="evidence-row"][data-artifact="${artifact}"]`).getByRole("link").first();
    await page.goto(new URL((await link.getAttribute("href"))!, consoleUrl).href);
    const shown = (await page.getByTestId("evidence-sha256").textContent())!.trim();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-raw").click()]);
    const raw = readFileSync((await download.path())!);
    expect(createHash("sha256").update(raw).digest("hex"), `${artifact} raw download`).toBe(shown);
    return raw.toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it("enrolls from the managed policy and shows as an online browser asset", async () => {
    let status = "";
    await until(
      "the extension to check in",
      async () => {
        status = await worker.evaluate(async () => {
          const stored = await (globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<Record<string, { message?: string }>> } } } }).chrome.storage.local.get("corvid.status");
          return stored["corvid.status"]?.message ?? "";
        });
        return status.startsWith("checked in");
      },
      120_000,
    ).catch(async (error: Error) => {
      // What tells a lost policy from a failing console: does the extension see its policy, and is a check-in due?
      const seen = await worker
        .evaluate(async () => {
          const chrome = (globalThis as unknown as { chrome: { storage: { managed: { get(keys: null): Promise<Record<string, unknown>> } }; alarms: { getAll(): Promise<unknown[]> } } }).chrome;
          return JSON.stringify({ managedPolicyKeys: Object.keys(await chrome.storage.managed.get(null)), alarms: await chrome.alarms.getAll() });
        })
        .catch((reason: unknown) => `worker unreachable: ${String(reason)}`);
      throw new Error(`${error.message}; extension status: ${status}; ${seen}`);
    });
    let listed: string[] = [];
    await until(
      `${PROFILE_EMAIL} to be online in the asset list`,
      async () => {
        await page.goto(`${consoleUrl}/assets`);
        listed = await page.getByTestId("asset-row").evaluateAll((rows) => rows.map((row) => `${row.getAttribute("data-hostname")}: ${row.querySelector('[data-testid="asset-status"]')?.textContent}`));
        const row = page.locator(`[data-testid="asset-row"][data-hostname="${PROFILE_EMAIL}"]`);
        return (await row.count()) === 1 && (await row.getByTestId("asset-status").textContent())?.includes("online");
      },
      120_000,
    ).catch((error: Error) => Promise.reject(new Error(`${error.message}; assets listed: ${listed.join("; ") || "none"}`)));
    // Enrolled through console attestation: the console key it verifies answers with is cached under the pin.
    const enrollment = await worker.evaluate(async () => {
      const stored = await (globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<Record<string, unknown>> } } } }).chrome.storage.local.get("corvid.enrollment");
      return stored["corvid.enrollment"] as { caFingerprint?: string; attestation?: { caFingerprint: string; consoleKey: string } };
    });
    expect(enrollment).toMatchObject({ caFingerprint, attestation: { caFingerprint, consoleKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } });
    const row = page.locator(`[data-testid="asset-row"][data-hostname="${PROFILE_EMAIL}"]`);
    expect(await row.getByTestId("asset-browser").textContent()).toMatch(/browser responder · .*\d+\./);
    // Facts the asset page does not spell out: the extension ID and the deployment token's tags.
    const db = new Database(path.join(dataDir, "corvid.db"), { readonly: true });
    try {
      const asset = db.prepare("SELECT kind, platform, facts, tags FROM Asset").get() as { kind: string; platform: string; facts: string; tags: string };
      expect(asset).toMatchObject({ kind: "browser", platform: "browser" });
      expect(JSON.parse(asset.facts)).toMatchObject({ browser: { extensionId, profileEmail: PROFILE_EMAIL, version: expect.stringMatching(/^\d+\./) } });
      expect(JSON.parse(asset.tags)).toContain("chromeos");
    } finally {
      db.close();
    }
  }, 150_000);

  it("runs an acquisition from the console whose history upload survives the service worker being stopped", async () => {
    const browsing = await context.newPage();
    for (const n of [1, 2, 3]) await browsing.goto(`${site.origin}/page/${n}`);
    const [download] = await Promise.all([browsing.waitForEvent("download"), browsing.click("#dl")]);
    await download.path();
    await browsing.close();
    await worker.evaluate(
      async ({ origin, count }) => {
        const history = (globalThis as unknown as { chrome: { history: { addUrl(details: { url: string }): Promise<void> } } }).chrome.history;
        for (let i = 0; i < count; i++) await history.addUrl({ url: `${origin}/seeded/${i}` });
      },
      { origin: site.origin, count: SEEDED_VISITS },
    );

    // The relay holds the second chunk of the first multi-chunk upload (the history table).
    const held = proxy.holdChunk((_uploadId, index) => index >= 1);
    await page.goto(`${consoleUrl}/cases`);
    await page.locator('input[name="name"]').fill("Phishing on a Chromebook");
    await page.getByRole("button", { name: "Create case" }).click();
    await page.waitForURL(/\/cases\/[^/]+$/);
    caseUrl = page.url();
    await page.goto(`${caseUrl}/tasks/new`);
    await page.locator('select[name="profileId"]').selectOption({ label: "custom: pick artifacts below" });
    for (const artifact of ["Browser.History", "Browser.Extensions", "Browser.Downloads"]) await page.locator(`input[name="artifact"][value="${artifact}"]`).check();
    await page.getByRole("checkbox", { name: PROFILE_EMAIL, exact: true }).check();
    await page.getByRole("button", { name: "Start acquisition" }).click();
    await page.waitForURL(caseUrl);
    // The check-in alarm runs every 30 s; ticking now just saves the wait. The tick never returns: its upload is held.
    void worker.evaluate(() => (globalThis as unknown as { corvid: { tick(): Promise<unknown> } }).corvid.tick()).catch(() => undefined);

    const stalled = await Promise.race([held, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no second chunk reached the relay")), 120_000))]);
    await until("the first chunk to be acknowledged", () => proxy.chunks.some((chunk) => chunk.uploadId === stalled.uploadId && chunk.index === 0 && chunk.status === 200));
    await stopServiceWorker(context, extensionId);
    proxy.release();

    // The periodic check-in alarm wakes the worker again; it resumes the journaled upload.
    await until(
      "the acquisition to complete after the restart",
      async () => {
        await page.goto(caseUrl);
        const states = (await page.getByTestId("assignment-status").allTextContents()).map((state) => state.trim());
        if (states.includes("failed")) throw new Error(`the acquisition failed: ${states.join(", ")}`);
        return states.length === 1 && states[0] === "completed";
      },
      180_000,
    );
    const resent = proxy.chunks.filter((chunk) => chunk.uploadId === stalled.uploadId && chunk.index === 0);
    expect(resent, "an acknowledged chunk was sent again instead of resuming").toHaveLength(1);
    expect(proxy.chunks.filter((chunk) => chunk.uploadId === stalled.uploadId && chunk.index === stalled.index && chunk.status === 200)).toHaveLength(1);

    const history = await evidenceRows("Browser.History");
    const visited = history.map((row) => row.url);
    for (const n of [1, 2, 3]) expect(visited).toContain(`${site.origin}/page/${n}`);
    expect(new Set(visited.filter((url) => String(url).startsWith(`${site.origin}/seeded/`))).size).toBe(SEEDED_VISITS);
    expect(await evidenceRows("Browser.Downloads")).toContainEqual(expect.objectContaining({ url: `${site.origin}/tool.sh`, state: "complete" }));
    expect(await evidenceRows("Browser.Extensions")).toContainEqual(expect.objectContaining({ id: extensionId, install_type: "development", known_malicious: false }));
  }, 420_000);
});
