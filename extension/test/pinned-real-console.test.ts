// The extension's responder code (enrollment, transport, attestation) in Node against the REAL console process:
// server.js behind a (pretend) TLS proxy creates its CA with openssl and attests with it; the extension enrolls
// with the right pin and is refused, before sending its token, with a wrong one. A console without a CA refuses
// pinned responders with a message saying what to change. Chromium adds nothing here: fetch cannot see TLS anyway.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ArtifactCatalog } from "../src/collectors/catalog.ts";
import { Responder, type ResponderOptions } from "../src/lib/responder.ts";
import { MemorySpool } from "../src/lib/spool.ts";
import { ResponderState } from "../src/lib/state.ts";
import { testBrowserFacts as facts } from "./helpers/asset-facts.ts";

const consoleDir = path.resolve(import.meta.dirname, "../../console");


interface RunningConsole {
  url: string;
  output: () => string;
  token: string;
  dataDir: string;
  stop(): void;
}

async function startConsole(work: string, name: string, extraEnv: Record<string, string>): Promise<RunningConsole> {
  const dataDir = path.join(work, name);
  const env = { ...process.env, HOST: "127.0.0.1", PORT: "0", CORVID_DATA_DIR: dataDir, DATABASE_URL: "", ...extraEnv };
  const child: ChildProcess = spawn(process.execPath, ["server.js"], { cwd: consoleDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /console listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`console exited (${code}):\n${output}`)));
  });
  const created = execFileSync(process.execPath, [path.join(consoleDir, "bin/corvid.mjs"), "token", "create", "--org", "default", "--name", "pinned", "--tags", "pinned"], { cwd: consoleDir, env, encoding: "utf8" });
  return { url, output: () => output, token: /token: (\S+)/.exec(created)![1]!, dataDir, stop: () => child.kill("SIGTERM") };
}

describe("pinned extension responder against the real console", () => {
  const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-pinned-"));
  let withCa: RunningConsole;
  let withoutCa: RunningConsole;
  let caFingerprint: string;
  let state: ResponderState;

  const tick = () => new Responder({ api: fakeBrowser as unknown as ResponderOptions["api"], state, spool: new MemorySpool(), catalog: new ArtifactCatalog(), facts }).tick();
  const browserAssets = (running: RunningConsole) => {
    const db = new Database(path.join(running.dataDir, "corvid.db"), { readonly: true });
    try {
      return db.prepare("SELECT responderId FROM Asset WHERE kind = 'browser'").all() as { responderId: string }[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    [withCa, withoutCa] = await Promise.all([startConsole(work, "with-ca", { CORVID_BEHIND_TLS_PROXY: "1" }), startConsole(work, "without-ca", {})]);
    caFingerprint = /CA fingerprint \(sha256\) ([0-9a-f]{64})/.exec(withCa.output())![1]!;
  }, 180_000);
  afterAll(() => {
    withCa?.stop();
    withoutCa?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    fakeBrowser.reset();
    state = new ResponderState(fakeBrowser.storage.local);
  });

  it("enrolls and checks in with the console's CA pinned", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: withCa.url, deploymentToken: withCa.token, caFingerprint });
    const outcome = await tick();
    expect(outcome).toMatchObject({ outcome: "checked-in" });
    const enrollment = await state.enrollment();
    expect(enrollment?.attestation?.caFingerprint).toBe(caFingerprint);
    expect(browserAssets(withCa).map((asset) => asset.responderId)).toContain(enrollment?.responderId);
    // The next tick verifies the console's answers with the cached key.
    expect(await tick()).toMatchObject({ outcome: "checked-in" });
  });

  it("refuses the console under a wrong pin before its token is used", async () => {
    const before = browserAssets(withCa).length;
    const wrongPin = "ab".repeat(32);
    await fakeBrowser.storage.managed.set({ consoleUrl: withCa.url, deploymentToken: withCa.token, caFingerprint: wrongPin });
    expect(await tick()).toMatchObject({ outcome: "error" });
    expect(await state.enrollment()).toBeUndefined();
    expect((await state.status())?.message).toBe(`ConsoleAttestationError: the console's CA ${caFingerprint} is not the pinned CA ${wrongPin}`);
    expect(browserAssets(withCa)).toHaveLength(before);
  });

  it("is refused by a console without a CA with a message saying what to change; unpinned it enrolls there", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: withoutCa.url, deploymentToken: withoutCa.token, caFingerprint });
    expect(await tick()).toMatchObject({ outcome: "error", error: expect.stringMatching(/cannot prove it holds the pinned CA: this console has no CA to attest with .*remove caFingerprint/) });
    expect(browserAssets(withoutCa)).toHaveLength(0);
    fakeBrowser.reset();
    state = new ResponderState(fakeBrowser.storage.local);
    await fakeBrowser.storage.managed.set({ consoleUrl: withoutCa.url, deploymentToken: withoutCa.token });
    expect(await tick()).toMatchObject({ outcome: "checked-in" });
    expect(browserAssets(withoutCa)).toHaveLength(1);
  });
});
