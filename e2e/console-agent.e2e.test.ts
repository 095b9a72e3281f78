// The spine end to end: a real console process, a real agent process, a real Chromium driven like an analyst.
import { hostname } from "node:os";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, ChunkHoldingProxy, authenticatorCode, findChromium } from "@corvid/testing";
import { type RunningProcess, type StartedConsole, eventually, runAgent, within, sha256OfFile, startConsole, temporaryDirectory } from "./harness.ts";


const PASSWORD = "correct horse battery staple";
const ADMIN_EMAIL = "admin@corvid.local";
const UPLOAD_CHUNK_SIZE = 64 * 1024;

describe("console and Linux agent, end to end in Chromium", () => {
  const dataDir = temporaryDirectory("corvid-e2e-console-");
  const agentStateDir = temporaryDirectory("corvid-e2e-agent-");
  const downloads = temporaryDirectory("corvid-e2e-downloads-");
  let consoleServer: StartedConsole;
  let proxy: ChunkHoldingProxy;
  let proxyUrl: string;
  let browser: Browser;
  let page: Page;
  let agent: RunningProcess | undefined;
  let totpSecret: string;
  let caseUrl: string;
  const host = hostname();

  beforeAll(async () => {
    const executablePath = findChromium();
    consoleServer = await startConsole(dataDir.path, { CORVID_UPLOAD_CHUNK_SIZE: String(UPLOAD_CHUNK_SIZE) });
    proxy = new ChunkHoldingProxy(new URL(consoleServer.url));
    proxyUrl = await proxy.listen();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: consoleServer.url, acceptDownloads: true });
    page = await context.newPage();
  });

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await browser?.close();
    await proxy?.close();
    await consoleServer?.process.stop();
    for (const dir of [dataDir, agentStateDir, downloads]) dir.remove();
  });

  /** A code for the 30 s step after the current one: accepted (±1 step) and never the code just used. */
  const nextTotpCode = () => authenticatorCode(totpSecret, Math.floor(Date.now() / 1000) + 30);

  async function openEvidence(artifact: string): Promise<void> {
    await page.goto(caseUrl);
    const link = page.locator(`[data-testid="evidence-row"][data-artifact="${artifact}"]`).getByRole("link").first();
    await page.goto((await link.getAttribute("href"))!);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain(artifact);
  }

  /** Waits until the case shows `tasks` acquisitions on this host and every one has completed. */
  async function waitForCompletedAcquisitions(tasks: number, timeoutMs = 120_000): Promise<void> {
    await eventually(
      `${tasks} acquisition(s) on ${host} to complete`,
      async () => {
        await page.goto(caseUrl);
        const states = (await page.getByTestId("assignment-status").allTextContents()).map((state) => state.trim());
        if (states.includes("failed")) throw new Error(`an acquisition failed: ${states.join(", ")}`);
        return (states.length === tasks && states.every((state) => state === "completed")) || undefined;
      },
      timeoutMs,
      1_000,
    );
  }

  it("first start prints a one-time link that sets the admin password", async () => {
    await page.goto(consoleServer.loginLink);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('input[name="confirm"]').fill(PASSWORD);
    await page.getByRole("button", { name: "Set password and log in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  });

  it("turns on TOTP two-factor authentication and logs in again with password and code", async () => {
    await page.goto("/account/2fa");
    totpSecret = (await page.getByTestId("totp-secret").textContent())!.trim();
    const enable = page.locator("form", { has: page.locator('input[name="intent"][value="enable"]') });
    await enable.locator('input[name="code"]').fill(authenticatorCode(totpSecret, Math.floor(Date.now() / 1000)));
    await enable.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    await page.waitForURL((url) => url.pathname !== "/account/2fa");
    await page.goto("/account/2fa");
    await expect.poll(() => page.getByTestId("2fa-status").isVisible()).toBe(true);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await page.locator('input[name="email"]').fill(ADMIN_EMAIL);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator("form").getByRole("button").click();
    await page.waitForURL(/\/login\/2fa/);
    await page.locator('input[name="code"]').fill(nextTotpCode());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  });

  it("creates a deployment token and enrolls a real agent process that comes online", async () => {
    await page.goto("/deployment");
    await page.locator('input[name="name"]').fill("e2e linux hosts");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("deployment-token").textContent())!.trim();
    expect(token).toMatch(/^cvd_dt_/);
    await expect.poll(() => page.getByTestId("install-command").textContent()).toContain("corvid-agent enroll");

    const enroll = runAgent(["enroll", "--console", proxyUrl, "--token", token, "--state-dir", agentStateDir.path, "--tag", "e2e"]);
    expect(await enroll.exited, enroll.text).toBe(0);
    agent = runAgent(["run", "--state-dir", agentStateDir.path]);

    await eventually(
      `${host} to be online in the asset list`,
      async () => {
        await page.goto("/assets");
        const row = page.locator(`[data-testid="asset-row"][data-hostname="${host}"]`);
        return (await row.count()) === 1 && (await row.getByTestId("asset-status").textContent())?.includes("online");
      },
      60_000,
      1_000,
    );
  });

  it("runs an acquisition in a case and shows the agent's own process in the processes table", async () => {
    await page.goto("/cases");
    await page.locator('input[name="name"]').fill("Suspicious SSH activity");
    await page.getByRole("button", { name: "Create case" }).click();
    await page.waitForURL(/\/cases\/[^/]+$/);
    caseUrl = page.url();

    await page.goto(`${caseUrl}/tasks/new`);
    await page.locator('select[name="profileId"]').selectOption({ label: "custom: pick artifacts below" });
    for (const artifact of ["Linux.Sys.Processes", "Linux.Sys.Users"]) {
      await page.locator(`input[name="artifact"][value="${artifact}"]`).check();
    }
    await page.getByRole("checkbox", { name: host, exact: true }).check();
    await page.getByRole("button", { name: "Start acquisition" }).click();
    await page.waitForURL(caseUrl);
    await waitForCompletedAcquisitions(1);

    await openEvidence("Linux.Sys.Processes");
    await page.locator('input[aria-label="Filter pid"]').fill(String(agent!.child.pid));
    await page.locator('input[aria-label="Filter pid"]').press("Enter");
    await expect
      .poll(async () => (await page.getByTestId("artifact-row").allTextContents()).some((row) => row.includes(String(agent!.child.pid))))
      .toBe(true);
  });

  it("downloads the raw evidence file with the SHA-256 the console recorded", async () => {
    const shown = (await page.getByTestId("evidence-sha256").textContent())!.trim();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-raw").click()]);
    const saved = `${downloads.path}/processes.jsonl`;
    await download.saveAs(saved);
    expect(sha256OfFile(saved)).toBe(shown);
  });

  it("completes an upload with the right hash after the agent is killed mid-upload and restarted", async () => {
    // The relay holds the second chunk of the first multi-chunk upload; the first chunk has been acknowledged.
    const held = proxy.holdChunk((_uploadId, index) => index >= 1);
    await page.goto(`${caseUrl}/tasks/new`);
    await page.locator('select[name="profileId"]').selectOption({ label: "custom: pick artifacts below" });
    await page.locator('input[name="artifact"][value="Linux.Sys.SystemdUnits"]').check();
    await page.getByRole("checkbox", { name: host, exact: true }).check();
    await page.getByRole("button", { name: "Start acquisition" }).click();

    const stalled = await within(held, 120_000, "a second chunk of an upload to reach the relay");
    await eventually("the first chunk to be acknowledged", () =>
      proxy.chunks.some((chunk) => chunk.uploadId === stalled.uploadId && chunk.index === 0 && chunk.status === 200),
    );
    await agent!.stop("SIGKILL");
    proxy.release();

    agent = runAgent(["run", "--state-dir", agentStateDir.path]);
    await waitForCompletedAcquisitions(2);
    const resent = proxy.chunks.filter((chunk) => chunk.uploadId === stalled.uploadId && chunk.index === 0);
    expect(resent, "an acknowledged chunk was sent again instead of resuming").toHaveLength(1);

    await openEvidence("Linux.Sys.SystemdUnits");
    const shown = (await page.getByTestId("evidence-sha256").textContent())!.trim();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-raw").click()]);
    const saved = `${downloads.path}/systemd-units.jsonl`;
    await download.saveAs(saved);
    expect(sha256OfFile(saved)).toBe(shown);
    expect(proxy.chunks.filter((chunk) => chunk.uploadId === stalled.uploadId && chunk.status === 200).length).toBeGreaterThanOrEqual(2);
  });
});
