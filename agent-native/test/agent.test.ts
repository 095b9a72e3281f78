import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent, AgentExitError } from "../src/agent.ts";
import { enroll } from "../src/enroll.ts";
import { silentLogger } from "../src/log.ts";
import { StateStore } from "../src/state.ts";
import { acquisition, fakeAccounts, waitFor } from "./agent-helpers.ts";
import { linuxCatalog } from "./collect-helpers.ts";
import { TestConsole } from "./console-server.ts";

const scratch = mkdtempSync(join(tmpdir(), "corvid-agent-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

describe("agent run loop", () => {
  let console_: TestConsole;
  let url: string;
  let state: StateStore;
  let stop: AbortController;
  beforeEach(async () => {
    console_ = new TestConsole();
    url = await console_.start();
    state = new StateStore(join(scratch, `state-${++counter}`));
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await console_.stop();
  });

  it("runs a delivered task: tables and raw files uploaded with matching hashes, progress reported, journals cleared", async () => {
    const accounts = fakeAccounts(join(scratch, `fs-${counter}`), { ".bash_history": "#1700000000\nid\nuname -a\n" });
    await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    console_.pendingTasks.push(
      acquisition("task_1", [
        { name: "Linux.Sys.Processes" },
        { name: "Linux.Forensics.ShellHistory", parameters: { passwd_path: accounts.passwd, group_path: accounts.group } },
        { name: "Linux.Nope.Missing" },
      ]),
    );
    const agent = new Agent({ state, catalog: await linuxCatalog(), log: silentLogger, retryBaseMs: 200 });
    const running = agent.run(stop.signal);
    const final = await waitFor("final progress", () => console_.progress.find((report) => report.body.state !== "running"), 120_000);
    stop.abort();
    await running;

    expect(final.body.message).toMatch(/^\d+ rows from 2\/3 artifacts; 0 items could not be read$/);
    expect(final.body).toMatchObject({
      state: "completed",
      progress: 1,
      artifactsDone: ["Linux.Sys.Processes", "Linux.Forensics.ShellHistory", "Linux.Nope.Missing"],
      error: "Linux.Nope.Missing: this agent has no artifact named Linux.Nope.Missing",
    });
    expect(console_.progress.filter((report) => report.body.state === "running").length).toBeGreaterThanOrEqual(3);
    expect(console_.rejections).toEqual([]);

    const uploads = console_.completedUploads();
    const processes = uploads.find((upload) => upload.begin.name === "Linux.Sys.Processes.jsonl")!;
    const processRows = console_.assembled(processes).toString("utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(processes.begin).toMatchObject({ kind: "table", contentType: "application/x-ndjson", rowCount: processRows.length });
    expect(processes.begin.columns).toEqual((await linuxCatalog()).get("Linux.Sys.Processes")!.definition.columns);
    const self = processRows.find((row) => row.pid === process.pid);
    expect(self).toMatchObject({ exe: realpathSync(process.execPath), exe_sha256: sha256(readFileSync(process.execPath)) });

    const history = uploads.find((upload) => upload.begin.name === "Linux.Forensics.ShellHistory.jsonl")!;
    expect(console_.assembled(history).toString("utf8").trim().split("\n").map((line) => JSON.parse(line).command)).toEqual(["id", "uname -a"]);
    const rawFile = uploads.find((upload) => upload.begin.kind === "file")!;
    expect(rawFile.begin).toMatchObject({ artifact: "Linux.Forensics.ShellHistory", sourcePath: join(accounts.home, ".bash_history") });
    expect(rawFile.completedSha256).toBe(sha256(readFileSync(join(accounts.home, ".bash_history"))));
    expect(uploads).toHaveLength(3);

    expect(readdirSync(state.path("tasks"))).toEqual([]);
    expect(readdirSync(state.path("uploads"))).toEqual([]);
    const lastFacts = console_.checkins.at(-1)!.facts;
    expect(lastFacts.resources.rssBytes).toBeGreaterThan(0);
    expect(lastFacts.resources.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it("ends a task that exceeds its timeout with a failed report, keeping the CPU limit while it runs", async () => {
    await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    // At 1 % CPU the pacer pauses for seconds after the first 200 ms of hashing, so the 1 s timeout ends the task.
    const task = acquisition("task_timeout", [{ name: "Linux.Sys.Processes" }, { name: "Linux.Sys.SystemdUnits" }], 1);
    task.limits.cpuPercent = 1;
    console_.pendingTasks.push(task);
    const agent = new Agent({ state, catalog: await linuxCatalog(), log: silentLogger, retryBaseMs: 200 });
    const running = agent.run(stop.signal);
    const final = await waitFor("final progress", () => console_.progress.find((report) => report.body.state !== "running"));
    stop.abort();
    await running;
    expect(final.body).toMatchObject({ state: "failed", error: "timed out after 1 s" });
    expect(final.body.artifactsDone).not.toContain("Linux.Sys.SystemdUnits");
  });

  it("re-enrolls with the stored deployment token when the console answers 410", async () => {
    const first = await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    console_.responders.get(first.responderId)!.revoked = true;
    const agent = new Agent({ state, catalog: await linuxCatalog(), log: silentLogger, retryBaseMs: 200 });
    const running = agent.run(stop.signal);
    const second = await waitFor("a new enrollment", () => (console_.responders.size === 2 ? [...console_.responders.keys()].find((id) => id !== first.responderId) : undefined));
    await waitFor("a check-in with the new identity", () => console_.checkins.length > 0);
    stop.abort();
    await running;
    expect((await state.readEnrollment())!.responderId).toBe(second);
  });

  it("stops with a clear message on 410 when no deployment token was kept", async () => {
    const first = await enroll(state, { consoleUrl: url, deploymentToken: console_.token, keepToken: false }, silentLogger);
    console_.responders.get(first.responderId)!.revoked = true;
    const agent = new Agent({ state, catalog: await linuxCatalog(), log: silentLogger });
    const error = await agent.run(stop.signal).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentExitError);
    expect(String(error)).toMatch(/no longer recognizes this responder.*corvid-agent enroll/);
  });

  it("drops a queued task the console cancels and reports nothing for it", async () => {
    await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    console_.pendingTasks.push(acquisition("task_slow", [{ name: "Linux.Sys.Processes" }, { name: "Linux.Sys.SystemdUnits" }]));
    console_.cancelledTasks.add("task_slow");
    const agent = new Agent({ state, catalog: await linuxCatalog(), log: silentLogger, retryBaseMs: 200 });
    const running = agent.run(stop.signal);
    await waitFor("the task journal to be dropped", () => console_.checkins.length >= 2 && readdirSync(state.path("tasks")).length === 0);
    stop.abort();
    await running;
    // The console answered 409 to the first progress report: the agent stopped and uploaded nothing.
    expect(console_.progress).toEqual([]);
    expect(console_.uploads.size).toBe(0);
  });
});
