import { createHash } from "node:crypto";
import type { TaskAssignment } from "@corvid/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ArtifactCatalog, type BrowserApis } from "../src/collectors/catalog.ts";
import { gatherBrowserFacts, type FactsApi } from "../src/lib/facts.ts";
import { CHECKIN_ALARM, Responder, type ResponderOptions } from "../src/lib/responder.ts";
import { MemorySpool, type SpoolWriter } from "../src/lib/spool.ts";
import { ResponderState } from "../src/lib/state.ts";
import { FakeConsole } from "./helpers/fake-console.ts";
import { testBrowserFacts as facts } from "./helpers/asset-facts.ts";

const TOKEN = `cvd_dt_${"b".repeat(52)}`;
const T0 = Date.parse("2026-11-20T10:00:00Z");


function task(taskId: string, artifacts: string[], limits: Partial<TaskAssignment["limits"]> = {}): TaskAssignment {
  return {
    taskId,
    kind: "acquisition",
    caseId: "case1",
    artifacts: artifacts.map((name) => ({ name })),
    limits: { cpuPercent: 50, memoryMb: 256, timeoutSec: 600, ...limits },
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
}

/** `urls` history entries with one visit each: about 190 bytes of JSONL per row. */
function stubHistory(urls: number) {
  vi.spyOn(fakeBrowser.history, "search").mockResolvedValue(
    Array.from({ length: urls }, (_, index) => ({ id: String(index + 1), url: `https://site${index}.example/page`, title: `Page ${index}`, visitCount: 1, typedCount: 0, lastVisitTime: T0 + index })),
  );
  vi.spyOn(fakeBrowser.history, "getVisits").mockImplementation(async ({ url }) => {
    const index = Number(/site(\d+)/.exec(url)![1]);
    return [{ id: String(index + 1), visitId: String(1000 + index), visitTime: T0 + index, referringVisitId: index > 0 ? String(999 + index) : "0", transition: "link" }];
  });
  vi.spyOn(fakeBrowser.management, "getAll").mockResolvedValue([
    { id: "c".repeat(32), name: "Helper", version: "1.2", type: "extension", installType: "normal", enabled: true, mayDisable: true, permissions: ["tabs"], hostPermissions: ["<all_urls>"] },
  ] as never);
}

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) Math.sqrt(Math.random());
}

/** A MemorySpool that remembers the largest piece written at once: what collection held in memory per write. */
class RecordingSpool extends MemorySpool {
  largestWrite = 0;

  override async create(id: string): Promise<SpoolWriter> {
    const writer = await super.create(id);
    return {
      ...writer,
      write: async (bytes) => {
        this.largestWrite = Math.max(this.largestWrite, bytes.byteLength);
        await writer.write(bytes);
      },
    };
  }
}

describe("responder: enrollment, check-in, tasks, resumable uploads", () => {
  let fakeConsole: FakeConsole;
  let state: ResponderState;
  let spool: MemorySpool;

  const responder = (overrides: Partial<ResponderOptions> = {}) =>
    new Responder({ api: fakeBrowser as unknown as ResponderOptions["api"], state, spool, catalog: new ArtifactCatalog(), facts, chunkSize: 64 * 1024, ...overrides });

  beforeEach(async () => {
    fakeBrowser.reset();
    fakeConsole = await new FakeConsole().start();
    state = new ResponderState(fakeBrowser.storage.local);
    spool = new MemorySpool();
  });
  afterEach(() => fakeConsole.stop());

  it("does nothing without policy or manual settings", async () => {
    expect(await responder().tick()).toEqual({ outcome: "unconfigured" });
    expect(fakeConsole.responders.size).toBe(0);
    expect((await state.status())?.state).toBe("unconfigured");
  });

  it("reports an unusable policy and does not enroll", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin });
    expect(await responder().tick()).toMatchObject({ outcome: "invalid-policy" });
    expect(fakeConsole.responders.size).toBe(0);
  });

  it("ticks once more when asked during a tick, so managed policy that lands meanwhile is not missed", async () => {
    const worker = responder();
    const readManaged = fakeBrowser.storage.managed.get.bind(fakeBrowser.storage.managed);
    let askedMeanwhile: Promise<unknown> | undefined;
    vi.spyOn(fakeBrowser.storage.managed, "get").mockImplementationOnce(async (keys) => {
      const before = await readManaged(keys);
      // The policy lands just after this tick read it; background.ts's storage.onChanged listener asks for a tick.
      await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
      askedMeanwhile = worker.tick();
      return before;
    });
    expect(await worker.tick()).toEqual({ outcome: "unconfigured" });
    expect(await askedMeanwhile).toMatchObject({ outcome: "checked-in" });
    expect(fakeConsole.responders.size).toBe(1);
  });

  it("enrolls as a browser responder from managed policy, checks in signed and schedules the alarm", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN, tags: ["chromeos-fleet"] });
    const outcome = await responder().tick();
    expect(outcome).toMatchObject({ outcome: "checked-in", nextCheckinSec: 30, tasksRun: [] });
    const [responderId, enrolled] = [...fakeConsole.responders.entries()][0]!;
    expect(enrolled.kind).toBe("browser");
    expect(outcome.outcome === "checked-in" && outcome.responderId).toBe(responderId);
    expect(fakeConsole.checkins).toHaveLength(1);
    expect(fakeConsole.checkins[0]?.facts.tags).toEqual(["chromeos-fleet"]);
    expect(await fakeBrowser.alarms.get(CHECKIN_ALARM)).toMatchObject({ periodInMinutes: 0.5 });
    expect(await state.enrollment()).toMatchObject({ responderId, settingsSource: "managed", organizationId: "org_test" });
    // A second tick (e.g. after a SW restart) reuses the stored keys: no second enrollment.
    await responder().tick();
    expect(fakeConsole.responders.size).toBe(1);
    expect(fakeConsole.checkins).toHaveLength(2);
  });

  it("runs a task: uploads each artifact as a JSONL table and reports completion with the failed artifact named", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    stubHistory(3);
    fakeConsole.queued.push(task("t1", ["Browser.History", "Browser.Extensions", "Browser.Nope"]));
    const outcome = await responder().tick();
    expect(outcome).toMatchObject({ outcome: "checked-in", tasksRun: ["t1"] });
    const history = fakeConsole.table("Browser.History.jsonl");
    expect(history.map((row) => row.url)).toEqual(["https://site0.example/page", "https://site1.example/page", "https://site2.example/page"]);
    expect(history[1]).toMatchObject({ visit_id: "1001", referring_visit_id: "1000", transition: "link" });
    expect(fakeConsole.table("Browser.Extensions.jsonl")[0]).toMatchObject({ name: "Helper", risky_permissions: false, host_permissions: ["<all_urls>"] });
    const upload = [...fakeConsole.uploads.values()].find((candidate) => candidate.begin.name === "Browser.History.jsonl")!;
    expect(upload.begin).toMatchObject({ kind: "table", contentType: "application/x-ndjson", rowCount: 3, artifact: "Browser.History" });
    const final = fakeConsole.progress.filter((entry) => entry.taskId === "t1").at(-1)!.body;
    expect(final).toMatchObject({ state: "completed", progress: 1, artifactsDone: ["Browser.History", "Browser.Extensions", "Browser.Nope"] });
    expect(final.error).toMatch(/Browser.Nope: this responder has no artifact named Browser.Nope/);
    expect(await state.tasks()).toEqual({});
    expect(await state.uploads()).toEqual([]);
    expect(spool.items.size).toBe(0);
  });

  it("resumes an upload interrupted mid-way after a service-worker restart, sending only the missing chunks", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    stubHistory(2000);
    fakeConsole.failChunkOnce.add(2);
    fakeConsole.queued.push(task("t2", ["Browser.History"]));
    const first = await responder().tick();
    expect(first).toMatchObject({ outcome: "error" });
    expect(Object.keys(await state.tasks())).toEqual(["t2"]);
    const [journaled] = await state.uploads();
    expect(journaled?.begin.size).toBeGreaterThan(3 * 64 * 1024);

    // A new Responder over the same storage and spool is what a restarted service worker sees.
    const second = await responder().tick();
    expect(second).toMatchObject({ outcome: "checked-in", tasksRun: ["t2"] });
    const upload = [...fakeConsole.uploads.values()].find((candidate) => candidate.begin.taskId === "t2")!;
    const chunkCount = Math.ceil(upload.begin.size / (64 * 1024));
    expect(upload.chunkPuts.filter((index) => index < 2)).toEqual([0, 1]);
    expect(upload.chunkPuts.filter((index) => index === 2)).toEqual([2, 2]);
    expect(new Set(upload.chunkPuts).size).toBe(chunkCount);
    expect(upload.completed?.sha256).toBe(journaled!.begin.sha256);
    expect(createHash("sha256").update(Buffer.concat([...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes))).digest("hex")).toBe(journaled!.begin.sha256);
    expect(fakeConsole.table("Browser.History.jsonl")).toHaveLength(2000);
    expect(fakeConsole.progress.filter((entry) => entry.taskId === "t2").at(-1)?.body.state).toBe("completed");
    expect(await state.uploads()).toEqual([]);
  });

  it("ends a task that ran past its timeout (counted from its journaled start) as failed, keeping what was uploaded", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    await responder().tick();
    stubHistory(1);
    const assignment = { ...task("t4", ["Browser.History", "Browser.Extensions"]), limits: { cpuPercent: 50, memoryMb: 256, timeoutSec: 60 } };
    // History was collected by an earlier run that started two minutes ago.
    await state.saveTask({ version: 1, assignment, artifactsDone: ["Browser.History"], failures: [], rowCount: 1, startedAt: new Date(Date.now() - 120_000).toISOString() });
    await responder().tick();
    const final = fakeConsole.progress.filter((entry) => entry.taskId === "t4").at(-1)!.body;
    expect(final).toMatchObject({ state: "failed", progress: 0.5, error: "timed out after 60 s", artifactsDone: ["Browser.History"] });
    expect(fakeBrowser.management.getAll).not.toHaveBeenCalled();
    expect(await state.tasks()).toEqual({});
  });

  it("pauses between batches so its busy time stays within a low cpuPercent", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    await responder().tick();
    stubHistory(480);
    // Each visit lookup keeps the worker busy for 1 ms: about 16 ms per batch of 16, 480 ms in all.
    const lookups: number[] = [];
    const getVisits = vi.mocked(fakeBrowser.history.getVisits).getMockImplementation()!;
    vi.mocked(fakeBrowser.history.getVisits).mockImplementation(async (details) => {
      busyFor(1);
      lookups.push(performance.now());
      return getVisits(details);
    });
    /** The collection's span, and how much of it went to pauses (gaps of over 100 ms between lookups). */
    const collect = async (taskId: string, cpuPercent: number) => {
      lookups.length = 0;
      fakeConsole.queued.push(task(taskId, ["Browser.History"], { cpuPercent }));
      await responder().tick();
      expect(fakeConsole.progress.filter((entry) => entry.taskId === taskId).at(-1)?.body.state).toBe("completed");
      expect(fakeConsole.table("Browser.History.jsonl", taskId)).toHaveLength(480);
      const gaps = lookups.slice(1).map((time, index) => time - lookups[index]!);
      return { span: lookups.at(-1)! - lookups[0]!, paused: gaps.filter((gap) => gap > 100).reduce((sum, gap) => sum + gap, 0) };
    };
    const unpaced = await collect("t-full", 100);
    const paced = await collect("t-low", 20);
    // At 20 %, four fifths of each measured window's time are pauses (the last, partial window has none).
    expect(paced.paused / paced.span).toBeGreaterThan(0.6);
    expect(paced.span).toBeGreaterThan(unpaced.span * 2);
  });

  it("streams a table larger than the memory limit to the spool batch by batch, with the right hash", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    const recording = new RecordingSpool();
    fakeConsole.chunkSize = 4 * 1024 * 1024;
    stubHistory(100_000);
    fakeConsole.queued.push(task("t-big", ["Browser.History"], { cpuPercent: 100, memoryMb: 16 }));
    await responder({ spool: recording, chunkSize: 4 * 1024 * 1024 }).tick();
    const upload = [...fakeConsole.uploads.values()].find((candidate) => candidate.begin.taskId === "t-big")!;
    expect(upload.begin.size).toBeGreaterThan(16 * 1024 * 1024);
    // History is handed on in batches of 2,000 rows (about half a MiB here), far below the table and the limit.
    expect(recording.largestWrite).toBeLessThan(1024 * 1024);
    const bytes = Buffer.concat([...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(upload.begin.sha256);
    expect(upload.completed?.sha256).toBe(upload.begin.sha256);
    expect(fakeConsole.progress.filter((entry) => entry.taskId === "t-big").at(-1)?.body).toMatchObject({ state: "completed" });
    expect(recording.items.size).toBe(0);
  }, 60_000);

  it("fails an artifact whose output batch exceeds the memory limit, naming the limit", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    stubHistory(3);
    // Browser.Extensions comes as one batch; this one is 17 MiB of JSON.
    vi.mocked(fakeBrowser.management.getAll).mockResolvedValue([
      { id: "c".repeat(32), name: "x".repeat(17 * 1024 * 1024), version: "1", type: "extension", installType: "normal", enabled: true, mayDisable: true, permissions: [], hostPermissions: [] },
    ] as never);
    fakeConsole.queued.push(task("t-mem", ["Browser.Extensions", "Browser.History"], { memoryMb: 16 }));
    await responder().tick();
    const final = fakeConsole.progress.filter((entry) => entry.taskId === "t-mem").at(-1)!.body;
    expect(final).toMatchObject({ state: "completed", artifactsDone: ["Browser.Extensions", "Browser.History"] });
    expect(final.error).toMatch(/^Browser\.Extensions: one batch of output is 17\.\d MiB, over the task's memory limit of 16 MiB$/);
    expect([...fakeConsole.uploads.values()].map((upload) => upload.begin.name)).toEqual(["Browser.History.jsonl"]);
    expect(spool.items.size).toBe(0);
  });

  it("stops an artifact mid-way when the task's timeout passes, and fails the task saying so", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    await responder().tick();
    stubHistory(2000);
    const getVisits = vi.mocked(fakeBrowser.history.getVisits).getMockImplementation()!;
    // 50 ms per batch: all 125 batches would take over 6 s.
    vi.mocked(fakeBrowser.history.getVisits).mockImplementation(async (details) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return getVisits(details);
    });
    fakeConsole.queued.push(task("t-slow", ["Browser.History", "Browser.Extensions"], { cpuPercent: 100, timeoutSec: 1 }));
    const started = performance.now();
    await responder().tick();
    expect(performance.now() - started).toBeLessThan(3_000);
    const final = fakeConsole.progress.filter((entry) => entry.taskId === "t-slow").at(-1)!.body;
    expect(final).toMatchObject({ state: "failed", progress: 0, artifactsDone: [], error: "timed out after 1 s while collecting Browser.History, whose partial table was not uploaded" });
    expect(vi.mocked(fakeBrowser.history.getVisits).mock.calls.length).toBeLessThan(2000);
    expect(fakeBrowser.management.getAll).not.toHaveBeenCalled();
    expect(fakeConsole.uploads.size).toBe(0);
    expect(spool.items.size).toBe(0);
    expect(await state.tasks()).toEqual({});
  });

  it("enrolls again with new keys when the console answers 410", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    await responder().tick();
    const first = (await state.enrollment())!.responderId;
    fakeConsole.revoked.add(first);
    const outcome = await responder().tick();
    expect(outcome).toMatchObject({ outcome: "checked-in" });
    const second = (await state.enrollment())!.responderId;
    expect(second).not.toBe(first);
    expect(fakeConsole.responders.has(second)).toBe(true);
  });

  it("drops a task the console cancels", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: fakeConsole.origin, deploymentToken: TOKEN });
    await responder().tick();
    await state.saveTask({ version: 1, assignment: task("t3", ["Browser.History"]), artifactsDone: [], failures: [], rowCount: 0 });
    fakeConsole.cancelled.push("t3");
    stubHistory(1);
    const outcome = await responder().tick();
    expect(outcome).toMatchObject({ outcome: "checked-in", tasksRun: [] });
    expect(fakeConsole.checkins.at(-1)?.activeTaskIds).toEqual(["t3"]);
    expect(await state.tasks()).toEqual({});
  });

  it("gathers browser facts: ChromeOS device identity, managed install, profile email", async () => {
    const api: FactsApi = {
      runtime: { id: "fbjljfpehofnjhpohoecidefljodmlaf", getManifest: () => ({ version: "0.1.0" }), getPlatformInfo: async () => ({ os: "cros", arch: "arm64" }) },
      management: { getSelf: async () => ({ installType: "admin" }) },
      enterprise: {
        deviceAttributes: { getDirectoryDeviceId: async () => "dir-device-9", getDeviceHostname: async () => "cb-lab-07" },
        networkingAttributes: { getNetworkDetails: async () => ({ macAddress: "00:11:22:33:44:55", ipv4: "10.1.2.3" }) },
      },
    };
    const result = await gatherBrowserFacts(api, { responderId: "r_abcdefghijklmnop", tags: ["lab"], profileEmail: "ana@example.edu" }, { userAgent: "Mozilla/5.0 (X11; CrOS aarch64) Chrome/156.0.1.0", brands: [{ brand: "Google Chrome", version: "156.0.1.0" }], platformVersion: "16400.0.0" });
    expect(result).toMatchObject({
      hostname: "cb-lab-07", machineId: "dir-device-9", platform: "chromeos", os: { name: "ChromeOS", version: "16400.0.0" }, arch: "arm64", ips: ["10.1.2.3"], macs: ["00:11:22:33:44:55"], tags: ["lab"],
      browser: { name: "Google Chrome", version: "156.0.1.0", extensionId: "fbjljfpehofnjhpohoecidefljodmlaf", managed: true, profileEmail: "ana@example.edu", deviceId: "dir-device-9" },
    });
    const { AssetFacts } = await import("@corvid/protocol");
    expect(AssetFacts.safeParse(result).success).toBe(true);
    const linux = await gatherBrowserFacts({ ...api, runtime: { ...api.runtime, getPlatformInfo: async () => ({ os: "linux", arch: "x86-64" }) }, enterprise: undefined }, { responderId: "r_abcdefghijklmnop", tags: [] }, { userAgent: "Chrome/156.0.8078.108", brands: [] });
    expect(linux).toMatchObject({ hostname: "chrome-abcdefghijkl", platform: "browser", os: { name: "Linux" } });
    expect(linux.browser?.profileEmail).toBeUndefined();
  });
});
