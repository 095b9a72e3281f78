// The built extension in real Debian Chromium against the protocol-validating test console, for what the
// real-console test does not cover: cookie metadata, tabs, device facts, the sqlite-wasm evidence database on OPFS
// and Sigma triage on the device.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TaskAssignment } from "@corvid/protocol";
import type { BrowserContext, Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExtension, installPolicy, launchWithExtension, startSite, until } from "./helpers/chromium-extension.ts";
import { FakeConsole } from "./helpers/fake-console.ts";

const TOKEN = `cvd_dt_${"c".repeat(52)}`;

function task(taskId: string, artifacts: string[]): TaskAssignment {
  return { taskId, kind: "acquisition", caseId: "case1", artifacts: artifacts.map((name) => ({ name })), limits: { cpuPercent: 50, memoryMb: 256, timeoutSec: 600 }, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
}

describe("extension in Chromium with managed policy, against the test console", () => {
  const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-e2e-"));
  let policyFile: string;
  let fakeConsole: FakeConsole;
  let site: { origin: string; close(): void };
  let context: BrowserContext;
  let worker: Worker;

  beforeAll(async () => {
    const { extensionId, unpacked } = buildExtension(work);
    fakeConsole = await new FakeConsole().start();
    site = await startSite();
    policyFile = installPolicy("corvid-extension-test", extensionId, { consoleUrl: fakeConsole.origin, deploymentToken: TOKEN, tags: ["e2e"], profileEmail: "analyst@example.test" });
    ({ context, worker } = await launchWithExtension(work, extensionId, unpacked));
  }, 180_000);

  afterAll(async () => {
    if (policyFile) rmSync(policyFile, { force: true });
    await context?.close();
    site?.close();
    await fakeConsole?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("collects cookie metadata, tabs and device facts into sqlite-wasm, and triages the browser events with Sigma", async () => {
    await until("enrollment", () => fakeConsole.checkins.length > 0, 120_000);
    const page = await context.newPage();
    for (const n of [1, 2, 3]) await page.goto(`${site.origin}/page/${n}`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#dl")]);
    await download.path();
    fakeConsole.queued.push(task("t1", ["Browser.History", "Browser.Downloads", "Browser.Extensions", "Browser.Cookies", "Browser.Tabs", "Browser.Device", "Browser.Triage"]));
    await worker.evaluate(() => (globalThis as unknown as { corvid: { tick(): Promise<unknown> } }).corvid.tick());
    const final = await until("task t1 to finish", () => fakeConsole.progress.find((entry) => entry.taskId === "t1" && entry.body.state !== "running"));
    expect(final.body).toMatchObject({ state: "completed" });
    expect(final.body.error).toBeUndefined();
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
  }, 180_000);
});
