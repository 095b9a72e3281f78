// Responder protocol endpoints on real SQLite and PostgreSQL: enrollment, signed check-in, task delivery and progress.
import { CheckinResponse, EnrollResponse, ErrorBody, responderPaths } from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCase } from "../app/lib/cases.server.ts";
import { revokeDeploymentToken } from "../app/lib/deployment-tokens.server.ts";
import { handleCheckin } from "../app/lib/responder/checkin.server.ts";
import { handleEnroll } from "../app/lib/responder/enroll.server.ts";
import { handleTaskProgress } from "../app/lib/responder/progress.server.ts";
import { cancelTask, createAcquisitionTask } from "../app/lib/tasks.server.ts";
import {
  DATABASE_KINDS,
  TestResponder,
  call,
  enroll,
  issueToken,
  openTestEnvironment,
  sampleFacts,
  seedOrganization,
  startResponderServer,
  testCatalogue,
  type SeededOrganization,
  type TestEnvironment,
} from "./helpers/responder-fixtures.ts";

async function errorOf(response: Response) {
  return ErrorBody.parse(await response.json()).error;
}

describe.each(DATABASE_KINDS)("responder protocol on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let org: SeededOrganization;

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    org = await seedOrganization(env.db, "acme");
  });
  afterAll(async () => env?.close());

  describe("enrollment", () => {
    it("enrolls with a valid token: asset, token use, audit entry and a contract-shaped answer", async () => {
      const token = await issueToken(env.db, org, { tags: ["prod"] });
      const responder = await TestResponder.create();
      const response = await call(() => handleEnroll(env.ctx, responder.enrollRequest(token, sampleFacts("web-1", { tags: ["dmz"] }))));
      expect(response.status).toBe(200);
      const answer = EnrollResponse.parse(await response.json());
      expect(answer.responderId).toBe(responder.responderId);
      expect(answer.organizationId).toBe(org.id);
      expect(answer.checkinIntervalSec).toBeGreaterThanOrEqual(27);
      expect(answer.checkinIntervalSec).toBeLessThanOrEqual(33);

      const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      expect(asset).toMatchObject({ organizationId: org.id, hostname: "web-1", platform: "linux", osName: "Debian GNU/Linux", kind: "native" });
      expect(JSON.parse(asset.tags)).toEqual(["dmz", "prod"]);
      const stored = await env.db.deploymentToken.findFirstOrThrow({ where: { id: asset.deploymentTokenId! } });
      expect(stored.uses).toBe(1);
      expect(stored.tokenHash).not.toContain(token);
      const entry = await env.db.auditLog.findFirst({ where: { action: "responder.enroll", target: asset.id } });
      expect(entry).toMatchObject({ actorType: "responder", actorId: responder.responderId, organizationId: org.id });
    });

    it("refuses expired, revoked, used-up and unknown tokens with 401 and changes nothing", async () => {
      const expired = await issueToken(env.db, org, { expiresAt: new Date(Date.now() - 1000) });
      const revoked = await issueToken(env.db, org);
      const revokedRecord = await env.db.deploymentToken.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
      expect(await revokeDeploymentToken(env.db, org.id, revokedRecord.id, { type: "user", userId: org.admin.id })).toBe(true);
      const single = await issueToken(env.db, org, { maxUses: 1 });
      await enroll(env.ctx, single);

      const assetsBefore = await env.db.asset.count();
      const usesBefore = (await env.db.deploymentToken.findMany({ orderBy: { id: "asc" } })).map((token) => token.uses);
      const unknown = "cvd_dt_" + "a".repeat(52);
      for (const [token, message] of [
        [expired, /expired/],
        [revoked, /revoked/],
        [single, /used up/],
        [unknown, /unknown/],
      ] as const) {
        const responder = await TestResponder.create();
        const response = await call(() => handleEnroll(env.ctx, responder.enrollRequest(token)));
        expect(response.status).toBe(401);
        const error = await errorOf(response);
        expect(error.code).toBe("unauthorized");
        expect(error.message).toMatch(message);
      }
      expect(await env.db.asset.count()).toBe(assetsBefore);
      expect((await env.db.deploymentToken.findMany({ orderBy: { id: "asc" } })).map((token) => token.uses)).toEqual(usesBefore);
    });

    it("counts token uses atomically when enrollments race", async () => {
      const limited = await issueToken(env.db, org, { maxUses: 3 });
      const unlimited = await issueToken(env.db, org);
      const race = async (token: string, count: number) => {
        const responders = await Promise.all(Array.from({ length: count }, () => TestResponder.create()));
        const responses = await Promise.all(responders.map((responder) => call(() => handleEnroll(env.ctx, responder.enrollRequest(token)))));
        return responses.map((response) => response.status).sort();
      };
      expect(await race(limited, 8)).toEqual([200, 200, 200, 401, 401, 401, 401, 401]);
      expect(await race(unlimited, 12)).toEqual(Array(12).fill(200));
      const uses = (await env.db.deploymentToken.findMany({ where: { organizationId: org.id }, orderBy: { createdAt: "desc" }, take: 2 })).map((token) => token.uses);
      expect(uses.sort((a, b) => a - b)).toEqual([3, 12]);
    });

    it("rejects a malformed enrollment with 400 and the zod issues", async () => {
      const token = await issueToken(env.db, org);
      const request = new Request("http://console.test" + responderPaths.enroll, {
        method: "POST",
        body: JSON.stringify({ protocolVersion: 1, deploymentToken: token, publicKey: "short", kind: "native", facts: {} }),
      });
      const response = await call(() => handleEnroll(env.ctx, request));
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe("malformed");
      expect(error.issues?.some((issue) => issue.path === "publicKey")).toBe(true);
      const notJson = new Request("http://console.test" + responderPaths.enroll, { method: "POST", body: "{not json" });
      expect((await call(() => handleEnroll(env.ctx, notJson))).status).toBe(400);
    });

    it("hands out the console CA fingerprint to pin when the console serves HTTPS", async () => {
      const fingerprint = "ab".repeat(32);
      const responder = await TestResponder.create();
      const response = await call(async () => handleEnroll({ ...env.ctx, caFingerprint: fingerprint }, responder.enrollRequest(await issueToken(env.db, org))));
      expect(EnrollResponse.parse(await response.json()).caFingerprint).toBe(fingerprint);
    });

    it("re-enrolling the same key updates the same asset and lifts a revocation", async () => {
      const token = await issueToken(env.db, org);
      const responder = await TestResponder.create();
      await call(() => handleEnroll(env.ctx, responder.enrollRequest(token, sampleFacts("old-name"))));
      await env.db.asset.update({ where: { responderId: responder.responderId }, data: { revokedAt: new Date() } });
      const again = await call(() => handleEnroll(env.ctx, responder.enrollRequest(token, sampleFacts("new-name"))));
      expect(again.status).toBe(200);
      const assets = await env.db.asset.findMany({ where: { responderId: responder.responderId } });
      expect(assets).toHaveLength(1);
      expect(assets[0]).toMatchObject({ hostname: "new-name", revokedAt: null });
    });
  });

  describe("signed check-in", () => {
    let responder: TestResponder;

    beforeAll(async () => {
      responder = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("checkin-host"));
    });

    it("accepts a signed check-in and records facts, last seen and resource use", async () => {
      const before = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      const facts = sampleFacts("checkin-host", { agentVersion: "0.2.0", resources: { cpuPercent: 3.25, rssBytes: 64_000_000 } });
      const request = await responder.signed("POST", responderPaths.checkin, responder.checkinBody([], facts));
      const response = await call(() => handleCheckin(env.ctx, request));
      expect(response.status).toBe(200);
      const answer = CheckinResponse.parse(await response.json());
      expect(answer).toMatchObject({ status: "ok", tasks: [], cancelTaskIds: [] });
      const after = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      expect(after.agentVersion).toBe("0.2.0");
      expect(after.cpuPercent).toBe(3.25);
      expect(after.rssBytes).toBe(64_000_000n);
      expect(after.lastSeenAt.getTime()).toBeGreaterThanOrEqual(before.lastSeenAt.getTime());
    });

    it("answers a replayed request with 401", async () => {
      const request = await responder.signed("POST", responderPaths.checkin, responder.checkinBody());
      const replay = request.clone();
      expect((await call(() => handleCheckin(env.ctx, request))).status).toBe(200);
      const response = await call(() => handleCheckin(env.ctx, replay));
      expect(response.status).toBe(401);
      expect((await errorOf(response)).message).toMatch(/replay/);
    });

    it("answers a stale timestamp with 401", async () => {
      const request = await responder.signed("POST", responderPaths.checkin, responder.checkinBody(), { now: Date.now() - 10 * 60_000 });
      const response = await call(() => handleCheckin(env.ctx, request));
      expect(response.status).toBe(401);
      expect((await errorOf(response)).message).toMatch(/timestamp/);
    });

    it("answers a tampered body, a wrong path and missing headers with 401 and changes nothing", async () => {
      const before = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      const signed = await responder.signed("POST", responderPaths.checkin, responder.checkinBody());
      const tampered = new Request(signed.url, {
        method: "POST",
        headers: signed.headers,
        body: JSON.stringify(responder.checkinBody([], sampleFacts("evil-name"))),
      });
      expect((await call(() => handleCheckin(env.ctx, tampered))).status).toBe(401);

      const otherPath = await responder.signed("POST", responderPaths.uploads, responder.checkinBody());
      const moved = new Request("http://console.test" + responderPaths.checkin, { method: "POST", headers: otherPath.headers, body: JSON.stringify(responder.checkinBody()) });
      expect((await call(() => handleCheckin(env.ctx, moved))).status).toBe(401);

      const unsigned = new Request("http://console.test" + responderPaths.checkin, { method: "POST", body: JSON.stringify(responder.checkinBody()) });
      expect((await call(() => handleCheckin(env.ctx, unsigned))).status).toBe(401);

      const after = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      expect(after.hostname).toBe(before.hostname);
      expect(after.lastSeenAt).toEqual(before.lastSeenAt);
    });

    it("answers unknown and revoked responders with 410 reenroll", async () => {
      const stranger = await TestResponder.create();
      const response = await call(async () =>
        handleCheckin(env.ctx, await stranger.signed("POST", responderPaths.checkin, stranger.checkinBody())),
      );
      expect(response.status).toBe(410);
      expect((await errorOf(response)).code).toBe("reenroll");

      const revoked = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("to-revoke"));
      await env.db.asset.update({ where: { responderId: revoked.responderId }, data: { revokedAt: new Date() } });
      const revokedResponse = await call(async () =>
        handleCheckin(env.ctx, await revoked.signed("POST", responderPaths.checkin, revoked.checkinBody())),
      );
      expect(revokedResponse.status).toBe(410);
    });

    it("refuses an oversized body with 413 and a malformed one with 400", async () => {
      const huge = { ...responder.checkinBody(), padding: "x".repeat(1024 * 1024 + 10) };
      const response = await call(async () => handleCheckin(env.ctx, await responder.signed("POST", responderPaths.checkin, huge)));
      expect(response.status).toBe(413);
      expect((await errorOf(response)).code).toBe("too-large");

      const malformed = await responder.signed("POST", responderPaths.checkin, { protocolVersion: 1, facts: { hostname: "" } });
      const malformedResponse = await call(() => handleCheckin(env.ctx, malformed));
      expect(malformedResponse.status).toBe(400);
      expect((await errorOf(malformedResponse)).code).toBe("malformed");
    });
  });

  describe("tasks", () => {
    let responder: TestResponder;
    let caseId: string;

    beforeAll(async () => {
      responder = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("task-host"));
      caseId = (await createCase(env.db, org.analyst, { name: "Incident 1", description: "" })).id;
    });

    async function queueTask(): Promise<string> {
      const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      const task = await createAcquisitionTask(env.db, org.analyst, testCatalogue(), {
        caseId,
        artifacts: ["Linux.Sys.Processes"],
        target: { kind: "assets", assetIds: [asset.id] },
        expiresInHours: 24,
      });
      return task!.id;
    }

    async function checkin(activeTaskIds: string[] = []) {
      const response = await call(async () =>
        handleCheckin(env.ctx, await responder.signed("POST", responderPaths.checkin, responder.checkinBody(activeTaskIds))),
      );
      expect(response.status).toBe(200);
      return CheckinResponse.parse(await response.json());
    }

    async function progress(taskId: string, body: object) {
      return call(async () => handleTaskProgress(env.ctx, await responder.signed("POST", responderPaths.taskProgress(taskId), body), taskId));
    }

    it("delivers a queued task once and moves it through running to completed", async () => {
      const taskId = await queueTask();
      const first = await checkin();
      expect(first.tasks.map((task) => task.taskId)).toEqual([taskId]);
      expect(first.tasks[0]).toMatchObject({ kind: "acquisition", caseId, artifacts: [{ name: "Linux.Sys.Processes" }] });
      expect((await env.db.taskAssignment.findFirstOrThrow({ where: { taskId } })).status).toBe("delivered");
      expect((await checkin([taskId])).tasks).toEqual([]);

      expect((await progress(taskId, { state: "running", progress: 0.5, message: "collecting" })).status).toBe(200);
      expect(await env.db.taskAssignment.findFirstOrThrow({ where: { taskId } })).toMatchObject({ status: "running", progress: 0.5, message: "collecting" });
      expect((await progress(taskId, { state: "completed", progress: 1 })).status).toBe(200);
      const done = await env.db.taskAssignment.findFirstOrThrow({ where: { taskId } });
      expect(done).toMatchObject({ status: "completed", progress: 1 });
      expect(done.finishedAt).not.toBeNull();
      // Repeating the final report (e.g. after a lost answer) is harmless; changing it is a conflict.
      expect((await progress(taskId, { state: "completed", progress: 1 })).status).toBe(200);
      expect((await progress(taskId, { state: "failed", progress: 1, error: "late" })).status).toBe(409);
    });

    it("delivers a task again when its delivery was evidently lost, but not while the responder works on it", async () => {
      const taskId = await queueTask();
      expect((await checkin()).tasks.map((task) => task.taskId)).toEqual([taskId]);
      await env.db.taskAssignment.updateMany({ where: { taskId }, data: { deliveredAt: new Date(Date.now() - 3 * 60_000) } });
      expect((await checkin([taskId])).tasks).toEqual([]);
      expect((await checkin()).tasks.map((task) => task.taskId)).toEqual([taskId]);
      expect((await progress(taskId, { state: "completed", progress: 1 })).status).toBe(200);
    });

    it("records failures, answers 409 for cancelled tasks and asks the responder to cancel them", async () => {
      const failing = await queueTask();
      await checkin();
      expect((await progress(failing, { state: "failed", progress: 0.2, error: "permission denied" })).status).toBe(200);
      expect(await env.db.taskAssignment.findFirstOrThrow({ where: { taskId: failing } })).toMatchObject({ status: "failed", error: "permission denied" });

      const cancelled = await queueTask();
      await checkin();
      expect(await cancelTask(env.db, org.analyst, cancelled)).toBe(true);
      expect((await progress(cancelled, { state: "running", progress: 0.1 })).status).toBe(409);
      const answer = await checkin([cancelled, "unknown-task"]);
      expect(answer.cancelTaskIds.sort()).toEqual([cancelled, "unknown-task"].sort());
      expect((await progress("not-a-task", { state: "running", progress: 0.1 })).status).toBe(404);
    });

    it("expires queued tasks whose deadline passed instead of delivering them", async () => {
      const taskId = await queueTask();
      await env.db.task.update({ where: { id: taskId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect((await checkin()).tasks).toEqual([]);
      expect((await env.db.taskAssignment.findFirstOrThrow({ where: { taskId } })).status).toBe("expired");
    });

    it("holds a ?wait=1 check-in open and answers as soon as a task is queued", async () => {
      const waitingCtx = { ...env.ctx, longPollMs: 60_000 };
      const pending = call(async () =>
        handleCheckin(waitingCtx, await responder.signed("POST", `${responderPaths.checkin}?wait=1`, responder.checkinBody())),
      );
      // Queue the task only once the check-in is waiting (it has recorded its visit by then).
      const before = (await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } })).lastSeenAt.getTime();
      for (let i = 0; i < 200; i++) {
        const seen = (await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } })).lastSeenAt.getTime();
        if (seen > before) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const taskId = await queueTask();
      const response = await pending;
      expect(response.status).toBe(200);
      expect(CheckinResponse.parse(await response.json()).tasks.map((task) => task.taskId)).toEqual([taskId]);
    });
  });

  describe("over real HTTP", () => {
    it("enrolls, checks in and rejects a replay through a listening server", async () => {
      const server = await startResponderServer(env.ctx);
      try {
        const token = await issueToken(env.db, org);
        const responder = await TestResponder.create();
        const enrollRequest = responder.enrollRequest(token, sampleFacts("http-host"));
        const enrolled = await fetch(server.url + responderPaths.enroll, { method: "POST", headers: enrollRequest.headers, body: await enrollRequest.text() });
        expect(enrolled.status).toBe(200);
        expect(EnrollResponse.parse(await enrolled.json()).responderId).toBe(responder.responderId);

        const signed = await responder.signed("POST", responderPaths.checkin, responder.checkinBody(), { base: server.url });
        const body = await signed.clone().text();
        const first = await fetch(signed.url, { method: "POST", headers: signed.headers, body });
        expect(first.status).toBe(200);
        expect(CheckinResponse.parse(await first.json()).status).toBe("ok");
        const replay = await fetch(signed.url, { method: "POST", headers: signed.headers, body });
        expect(replay.status).toBe(401);
        expect(replay.headers.get("content-type")).toMatch(/application\/json/);
      } finally {
        await server.close();
      }
    });
  });
});
