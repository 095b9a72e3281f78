// The built extension against the real console process (not the test console): enrollment with a deployment token
// from the console's CLI, through managed policy, and a signed check-in the console accepts.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { CHROMIUM_ARGS, findChromium } from "@corvid/testing";
import { chromium, type BrowserContext, type Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const extensionDir = path.resolve(import.meta.dirname, "..");
const consoleDir = path.resolve(extensionDir, "../console");
const POLICY_DIR = "/etc/chromium/policies/managed";

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
  const policyFile = path.join(POLICY_DIR, `corvid-extension-console-test-${process.pid}.json`);
  const env = { ...process.env, HOST: "127.0.0.1", PORT: "0", CORVID_DATA_DIR: dataDir, DATABASE_URL: "" };
  let consoleProcess: ChildProcess;
  let consoleUrl: string;
  let loginLink: Promise<RegExpMatchArray>;
  let extensionId: string;
  let context: BrowserContext;
  let worker: Worker;

  beforeAll(async () => {
    mkdirSync(dataDir);
    consoleProcess = spawn(process.execPath, ["server.js"], { cwd: consoleDir, env, stdio: ["ignore", "pipe", "pipe"] });
    loginLink = waitForOutput(consoleProcess, /login link: (\S+)/);
    consoleUrl = (await waitForOutput(consoleProcess, /console listening on (https?:\/\/\S+)/))[1]!;
    const created = execFileSync(process.execPath, [path.join(consoleDir, "bin/corvid.mjs"), "token", "create", "--org", "default", "--name", "chromebooks", "--tags", "chromeos"], { cwd: consoleDir, env, encoding: "utf8" });
    const token = /token: (\S+)/.exec(created)![1]!;

    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const spki = publicKey.export({ type: "spki", format: "der" });
    writeFileSync(path.join(work, "public-key.b64"), spki.toString("base64"));
    extensionId = [...createHash("sha256").update(spki).digest("hex").slice(0, 32)].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join("");
    const outDir = path.join(work, "build");
    execFileSync(process.execPath, [path.resolve(extensionDir, "../node_modules/wxt/bin/wxt.mjs"), "build"], {
      cwd: extensionDir,
      env: { ...process.env, CORVID_EXTENSION_KEY_FILE: path.join(work, "public-key.b64"), CORVID_EXTENSION_OUT_DIR: outDir },
      stdio: "pipe",
    });
    mkdirSync(POLICY_DIR, { recursive: true });
    writeFileSync(policyFile, JSON.stringify({ "3rdparty": { extensions: { [extensionId]: { consoleUrl, deploymentToken: token, profileEmail: "pupil@school.example" } } } }));
    const unpacked = path.join(outDir, "chrome-mv3");
    context = await chromium.launchPersistentContext(path.join(work, "profile"), {
      executablePath: findChromium(),
      headless: true,
      ignoreDefaultArgs: ["--disable-extensions"],
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${unpacked}`, `--load-extension=${unpacked}`],
    });
    const isOurs = (candidate: Worker) => candidate.url().startsWith(`chrome-extension://${extensionId}/`);
    worker = context.serviceWorkers().find(isOurs) ?? (await context.waitForEvent("serviceworker", { predicate: isOurs, timeout: 60_000 }));
  }, 240_000);

  afterAll(async () => {
    rmSync(policyFile, { force: true });
    await context?.close();
    consoleProcess?.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  it("enrolls as a browser asset and checks in", async () => {
    const checkedIn = async () =>
      worker.evaluate(async () => {
        const stored = await (globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<Record<string, { message?: string }>> } } } }).chrome.storage.local.get("corvid.status");
        return stored["corvid.status"]?.message ?? "";
      });
    const deadline = Date.now() + 60_000;
    let message = "";
    while (Date.now() < deadline && !message.startsWith("checked in")) {
      message = await checkedIn();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(message).toMatch(/^checked in at .* as r_[a-z2-7]{32}$/);
    const db = new Database(path.join(dataDir, "corvid.db"), { readonly: true });
    try {
      const asset = db.prepare("SELECT kind, platform, hostname, facts, tags FROM Asset").get() as { kind: string; platform: string; hostname: string; facts: string; tags: string };
      expect(asset).toMatchObject({ kind: "browser", platform: "browser", hostname: "pupil@school.example" });
      expect(JSON.parse(asset.facts)).toMatchObject({ browser: { extensionId, profileEmail: "pupil@school.example", version: expect.stringMatching(/^\d+\./) } });
      expect(JSON.parse(asset.tags)).toContain("chromeos");
    } finally {
      db.close();
    }
  }, 120_000);

  it("runs an acquisition started in the console and stores the browser tables as evidence", async () => {
    type Hooks = { corvid: { tick(): Promise<unknown> } };
    const page = await context.newPage();
    await page.goto((await loginLink)[1]!);
    await page.locator('input[name="password"]').fill("correct horse battery staple");
    await page.locator('input[name="confirm"]').fill("correct horse battery staple");
    await page.getByRole("button", { name: "Set password and log in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
    await page.goto(`${consoleUrl}/cases`);
    await page.locator('input[name="name"]').fill("Phishing on a Chromebook");
    await page.getByRole("button", { name: "Create case" }).click();
    await page.waitForURL(/\/cases\/[^/]+$/);
    const caseUrl = page.url();
    await page.goto(`${caseUrl}/tasks/new`);
    await page.locator('select[name="profileId"]').selectOption({ label: "custom: pick artifacts below" });
    for (const artifact of ["Browser.History", "Browser.Extensions", "Browser.Downloads"]) await page.locator(`input[name="artifact"][value="${artifact}"]`).check();
    await page.getByRole("checkbox", { name: "pupil@school.example", exact: true }).check();
    await page.getByRole("button", { name: "Start acquisition" }).click();
    await page.waitForURL(caseUrl);

    const db = new Database(path.join(dataDir, "corvid.db"), { readonly: true });
    try {
      const deadline = Date.now() + 120_000;
      let evidence: { artifact: string; sha256: string; rowCount: number }[] = [];
      while (Date.now() < deadline && evidence.length < 3) {
        // The check-in alarm runs every 30 s; ticking now just saves the wait.
        await worker.evaluate(() => (globalThis as unknown as Hooks).corvid.tick());
        evidence = db.prepare("SELECT artifact, sha256, rowCount FROM Evidence ORDER BY artifact").all() as typeof evidence;
      }
      expect(evidence.map((item) => item.artifact)).toEqual(["Browser.Downloads", "Browser.Extensions", "Browser.History"]);
      const status = async () => (db.prepare("SELECT status FROM TaskAssignment").get() as { status: string }).status;
      while (Date.now() < deadline && (await status()) !== "completed") await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await status()).toBe("completed");
      const rows = (artifact: string) => {
        const sha256 = evidence.find((item) => item.artifact === artifact)!.sha256;
        const blob = readFileSync(path.join(dataDir, "evidence", "sha256", sha256.slice(0, 2), sha256.slice(2, 4), sha256), "utf8");
        expect(createHash("sha256").update(blob).digest("hex")).toBe(sha256);
        return blob.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      };
      // The analyst's own visits to the console are in this profile's history.
      expect(rows("Browser.History").map((row) => row.url)).toContain(`${consoleUrl}/cases`);
      expect(rows("Browser.Extensions")).toContainEqual(expect.objectContaining({ id: extensionId, install_type: "development" }));
    } finally {
      db.close();
    }
    await page.close();
  }, 200_000);
});
