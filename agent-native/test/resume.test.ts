import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientFor, enroll, loadIdentity } from "../src/enroll.ts";
import { silentLogger } from "../src/log.ts";
import { StateStore } from "../src/state.ts";
import { TransportError } from "../src/transport.ts";
import { newUploadId, Uploader } from "../src/uploader.ts";
import { acquisition, fakeAccounts, waitFor } from "./agent-helpers.ts";
import { TestConsole } from "./console-server.ts";

const scratch = mkdtempSync(join(tmpdir(), "corvid-resume-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("upload resume", () => {
  let console_: TestConsole;
  let url: string;
  let state: StateStore;
  const chunkPuts = new Map<string, number>();
  beforeEach(async () => {
    console_ = new TestConsole({ chunkSize: 64 * 1024 });
    url = await console_.start();
    state = new StateStore(join(scratch, `state-${++counter}`));
    chunkPuts.clear();
  });
  afterEach(() => console_.stop());

  /** Counts every chunk PUT; `interrupt` decides which one to cut off (socket destroyed, nothing stored). */
  function watchChunks(interrupt: (kind: string, index: number) => boolean, onInterrupt: () => void = () => {}): void {
    console_.onChunk = (upload, index, _response, request) => {
      const key = `${upload.uploadId}:${index}`;
      chunkPuts.set(key, (chunkPuts.get(key) ?? 0) + 1);
      if (!interrupt(upload.begin.kind, index)) return false;
      onInterrupt();
      request.socket.destroy();
      return true;
    };
  }

  it("resumes from the journal after a connection dies mid-upload, without resending acknowledged chunks", async () => {
    await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    const data = randomBytes(5 * 64 * 1024 + 123);
    const id = newUploadId();
    const firstClient = clientFor(await loadIdentity(state));
    const first = new Uploader(firstClient, state, silentLogger);
    writeFileSync(first.spoolPath(id), data);
    await first.enqueueSpooled(id, { taskId: "task_r", artifact: "Linux.Sys.Users", name: "blob.bin", kind: "file", contentType: "application/octet-stream" });
    let cut = false;
    watchChunks((_kind, index) => index === 3 && !cut && (cut = true));
    await expect(first.drain()).rejects.toBeInstanceOf(TransportError);
    firstClient.close();
    expect(readdirSync(state.path("uploads")).sort()).toEqual([`${id}.data`, `${id}.json`]);

    // A new process would start exactly like this: fresh client and uploader over the same state directory.
    const secondClient = clientFor(await loadIdentity(state));
    const results = await new Uploader(secondClient, state, silentLogger).drain();
    secondClient.close();
    expect(results).toEqual([expect.objectContaining({ name: "blob.bin", sha256: sha256(data), size: data.length })]);
    const [upload] = console_.completedUploads();
    expect(console_.assembled(upload!).equals(data)).toBe(true);
    expect(upload!.completedSha256).toBe(sha256(data));
    expect([0, 1, 2].map((index) => chunkPuts.get(`${upload!.uploadId}:${index}`))).toEqual([1, 1, 1]);
    expect([3, 4, 5].map((index) => chunkPuts.get(`${upload!.uploadId}:${index}`))).toEqual([2, 1, 1]);
    expect(readdirSync(state.path("uploads"))).toEqual([]);

    // Bytes spooled without a journal entry (a crash between the two) are cleaned up, journaled ones kept.
    writeFileSync(state.path("uploads", "orphan.data"), "partial");
    writeFileSync(state.path("uploads", "kept.data"), "x");
    writeFileSync(state.path("uploads", "kept.json"), "{}");
    expect(await new Uploader(secondClient, state, silentLogger).removeOrphans()).toBe(1);
    expect(readdirSync(state.path("uploads")).sort()).toEqual(["kept.data", "kept.json"]);
  });

  it("finishes a task after the agent process is killed with SIGKILL mid-upload and restarted", async () => {
    const agentBin = resolve(import.meta.dirname, "../bin/corvid-agent.mjs");
    const history = Array.from({ length: 9000 }, (_, line) => `echo ${line} ${randomBytes(16).toString("hex")}`).join("\n");
    const accounts = fakeAccounts(join(scratch, `fs-${counter}`), { ".bash_history": `${history}\n` });
    const historyBytes = readFileSync(join(accounts.home, ".bash_history"));
    expect(historyBytes.length).toBeGreaterThan(4 * 64 * 1024);
    await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    console_.pendingTasks.push(
      acquisition("task_kill", [{ name: "Linux.Sys.Users" }, { name: "Linux.Forensics.ShellHistory", parameters: { passwd_path: accounts.passwd, group_path: accounts.group } }]),
    );

    const output: string[] = [];
    const start = (): ChildProcess => {
      const child = spawn(process.execPath, [agentBin, "run", "--state-dir", state.dir], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      return child;
    };
    let child = start();
    let killed = false;
    watchChunks(
      (kind, index) => kind === "file" && index === 2 && !killed,
      () => {
        killed = true;
        child.kill("SIGKILL");
      },
    );
    try {
      const [exitCode, signal] = (await once(child, "exit")) as [number | null, string | null];
      expect({ exitCode, signal }).toEqual({ exitCode: null, signal: "SIGKILL" });
      expect(console_.progress.find((report) => report.body.state !== "running")).toBeUndefined();
      expect(readdirSync(state.path("tasks"))).toEqual(["task_kill.json"]);

      child = start();
      const final = await waitFor("the resumed task to finish", () => console_.progress.find((report) => report.body.state !== "running"), 120_000);
      expect(final.body).toMatchObject({ state: "completed", artifactsDone: ["Linux.Sys.Users", "Linux.Forensics.ShellHistory"] });

      const raw = console_.completedUploads().find((upload) => upload.begin.kind === "file")!;
      expect(raw.completedSha256).toBe(sha256(historyBytes));
      expect(console_.assembled(raw).equals(historyBytes)).toBe(true);
      // Chunks acknowledged before the kill were not sent again.
      expect([0, 1].map((index) => chunkPuts.get(`${raw.uploadId}:${index}`))).toEqual([1, 1]);
      expect(chunkPuts.get(`${raw.uploadId}:2`)).toBe(2);
      expect(console_.completedUploads().map((upload) => upload.begin.name).sort()).toEqual([
        "Linux.Forensics.ShellHistory.jsonl",
        "Linux.Sys.Users.jsonl",
        join(accounts.home, ".bash_history").slice(1),
      ]);

      // SIGTERM stops the agent cleanly.
      await waitFor("the journals to be cleared", () => readdirSync(state.path("tasks")).length === 0);
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      expect(code).toBe(0);
    } catch (error) {
      throw new Error(`${String(error)}\n--- agent output ---\n${output.join("")}`);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
