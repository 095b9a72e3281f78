// Tenancy and role checks through the real route modules (loader/action with real Requests and session cookies).
// The routes use the process-wide database (getDb), so each provider runs in its own test file (own process).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAcquisitionTask } from "../../app/lib/tasks.server.ts";
import { createCase } from "../../app/lib/cases.server.ts";
import { createSession } from "../../app/lib/session.server.ts";
import { handleCheckin } from "../../app/lib/responder/checkin.server.ts";
import { responderPaths } from "@corvid/protocol";
import {
  DATABASE_KINDS,
  TestResponder,
  call,
  enroll,
  issueToken,
  openTestEnvironment,
  sampleFacts,
  seedOrganization,
  testCatalogue,
  uploadEvidence,
  type SeededOrganization,
  type TestEnvironment,
} from "./responder-fixtures.ts";

type RouteModule = {
  loader?: (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
  action?: (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
};

interface Resources {
  assetId: string;
  caseId: string;
  taskId: string;
  evidenceId: string;
  tokenId: string;
}

interface Login {
  cookie: string;
  csrf: string;
}

const ORIGIN = "http://console.test";

/** Status of a loader/action outcome: thrown or returned Response, Remix `data()` result, or plain data (200). */
async function statusOf(run: () => unknown): Promise<number> {
  try {
    const result = await run();
    if (result instanceof Response) return result.status;
    if (result && typeof result === "object" && "init" in result) return (result as { init?: { status?: number } }).init?.status ?? 200;
    return 200;
  } catch (error) {
    if (error instanceof Response) return error.status;
    throw error;
  }
}

export function defineTenancySuite(kind: (typeof DATABASE_KINDS)[number][0]) {
  const createDatabase = DATABASE_KINDS.find(([name]) => name === kind)![1];

  describe(`tenancy and roles through the routes on ${kind}`, () => {
    let env: TestEnvironment;
    let orgA: SeededOrganization;
    let orgB: SeededOrganization;
    const own: Partial<Resources> = {};
    const foreign: Partial<Resources> = {};
    const logins: Record<string, Login> = {};
    let routes: Record<string, RouteModule>;

    async function seedResources(org: SeededOrganization, slug: string, into: Partial<Resources>) {
      const responder = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts(`${slug}-host`));
      const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
      const created = await createCase(env.db, org.analyst, { name: `${slug} case`, description: "" });
      const task = (await createAcquisitionTask(env.db, org.analyst, testCatalogue(), {
        caseId: created.id,
        artifacts: ["Linux.Sys.Processes"],
        target: { kind: "assets", assetIds: [asset.id] },
        expiresInHours: 24,
      }))!;
      await call(async () => handleCheckin(env.ctx, await responder.signed("POST", responderPaths.checkin, responder.checkinBody([], sampleFacts(`${slug}-host`)))));
      const rows = new TextEncoder().encode(`{"pid":1,"name":"init"}\n{"pid":2,"name":"${slug}-secret"}\n`);
      Object.assign(into, {
        assetId: asset.id,
        caseId: created.id,
        taskId: task.id,
        tokenId: asset.deploymentTokenId!,
        evidenceId: await uploadEvidence(env.ctx, responder, { taskId: task.id, artifact: "Linux.Sys.Processes", name: "processes.jsonl", kind: "table", bytes: rows, columns: [{ name: "pid", type: "int" }, { name: "name", type: "string" }] }),
      });
    }

    async function login(userId: string): Promise<Login> {
      const setCookie = await createSession(env.db, new Request(ORIGIN), { userId, twoFactorPending: false });
      const session = await env.db.session.findFirstOrThrow({ where: { userId }, orderBy: { createdAt: "desc" } });
      return { cookie: setCookie.split(";")[0]!, csrf: session.csrfToken };
    }

    const get = (who: string, path: string) => new Request(ORIGIN + path, { headers: { cookie: logins[who]!.cookie } });
    const post = (who: string, path: string, fields: Record<string, string>) =>
      new Request(ORIGIN + path, {
        method: "POST",
        headers: { cookie: logins[who]!.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: logins[who]!.csrf, ...fields }),
      });
    const load = (route: string, request: Request, params: Record<string, string> = {}) =>
      statusOf(() => routes[route]!.loader!({ request, params, context: {} }));
    const act = (route: string, request: Request, params: Record<string, string> = {}) =>
      statusOf(() => routes[route]!.action!({ request, params, context: {} }));

    beforeAll(async () => {
      env = await openTestEnvironment(createDatabase);
      // The route modules use the process-wide client: point it at this test's database before loading them.
      process.env.DATABASE_URL = env.url;
      process.env.CORVID_DATA_DIR = env.dataDir;
      orgA = await seedOrganization(env.db, "org-a");
      orgB = await seedOrganization(env.db, "org-b");
      await seedResources(orgA, "a", own);
      await seedResources(orgB, "b", foreign);
      for (const [name, user] of [
        ["adminA", orgA.admin],
        ["analystA", orgA.analyst],
        ["viewerA", orgA.viewer],
      ] as const) {
        logins[name] = await login(user.id);
      }
      routes = {
        assets: await import("../../app/routes/assets._index.tsx"),
        asset: await import("../../app/routes/assets.$assetId.tsx"),
        deployment: await import("../../app/routes/deployment.tsx"),
        cases: await import("../../app/routes/cases._index.tsx"),
        case: await import("../../app/routes/cases.$caseId.tsx"),
        newTask: await import("../../app/routes/cases.$caseId_.tasks.new.tsx"),
        evidence: await import("../../app/routes/evidence.$evidenceId.tsx"),
        download: await import("../../app/routes/evidence.$evidenceId_.download.ts"),
        export: await import("../../app/routes/evidence.$evidenceId_.export.ts"),
      };
    });
    afterAll(async () => {
      const { getDb } = await import("../../app/db.server.ts");
      await (await getDb()).$disconnect();
      await env?.close();
    });

    it("lets a user read their own organization's asset, case, task, evidence and exports", async () => {
      expect(await load("asset", get("viewerA", `/assets/${own.assetId}`), { assetId: own.assetId! })).toBe(200);
      expect(await load("case", get("viewerA", `/cases/${own.caseId}`), { caseId: own.caseId! })).toBe(200);
      expect(await load("evidence", get("viewerA", `/evidence/${own.evidenceId}`), { evidenceId: own.evidenceId! })).toBe(200);
      expect(await load("download", get("viewerA", `/evidence/${own.evidenceId}/download`), { evidenceId: own.evidenceId! })).toBe(200);
      expect(await load("export", get("viewerA", `/evidence/${own.evidenceId}/export?format=csv`), { evidenceId: own.evidenceId! })).toBe(200);
      expect(await load("newTask", get("analystA", `/cases/${own.caseId}/tasks/new`), { caseId: own.caseId! })).toBe(200);
    });

    it("answers 404 for every resource route that names another organization's object", async () => {
      expect(await load("asset", get("adminA", `/assets/${foreign.assetId}`), { assetId: foreign.assetId! })).toBe(404);
      expect(await load("case", get("adminA", `/cases/${foreign.caseId}`), { caseId: foreign.caseId! })).toBe(404);
      expect(await load("newTask", get("adminA", `/cases/${foreign.caseId}/tasks/new`), { caseId: foreign.caseId! })).toBe(404);
      expect(await load("evidence", get("adminA", `/evidence/${foreign.evidenceId}`), { evidenceId: foreign.evidenceId! })).toBe(404);
      expect(await load("download", get("adminA", `/evidence/${foreign.evidenceId}/download`), { evidenceId: foreign.evidenceId! })).toBe(404);
      expect(await load("export", get("adminA", `/evidence/${foreign.evidenceId}/export?format=jsonl`), { evidenceId: foreign.evidenceId! })).toBe(404);
    });

    it("answers 404 and changes nothing when writing to another organization's objects", async () => {
      const before = {
        asset: await env.db.asset.findUniqueOrThrow({ where: { id: foreign.assetId! } }),
        notes: await env.db.caseNote.count({ where: { caseId: foreign.caseId! } }),
        task: await env.db.task.findUniqueOrThrow({ where: { id: foreign.taskId! } }),
        tasks: await env.db.task.count({ where: { caseId: foreign.caseId! } }),
        token: await env.db.deploymentToken.findUniqueOrThrow({ where: { id: foreign.tokenId! } }),
        case: await env.db.case.findUniqueOrThrow({ where: { id: foreign.caseId! } }),
      };
      expect(await act("asset", post("adminA", `/assets/${foreign.assetId}`, { intent: "tags", tags: "pwned" }), { assetId: foreign.assetId! })).toBe(404);
      expect(await act("asset", post("adminA", `/assets/${foreign.assetId}`, { intent: "revoke" }), { assetId: foreign.assetId! })).toBe(404);
      expect(await act("case", post("adminA", `/cases/${foreign.caseId}`, { intent: "note", body: "hello" }), { caseId: foreign.caseId! })).toBe(404);
      expect(await act("case", post("adminA", `/cases/${foreign.caseId}`, { intent: "close" }), { caseId: foreign.caseId! })).toBe(404);
      expect(await act("case", post("adminA", `/cases/${foreign.caseId}`, { intent: "cancel-task", taskId: foreign.taskId! }), { caseId: foreign.caseId! })).toBe(404);
      // Own case, but the other organization's task id.
      expect(await act("case", post("adminA", `/cases/${own.caseId}`, { intent: "cancel-task", taskId: foreign.taskId! }), { caseId: own.caseId! })).toBe(404);
      const newTask = { targetKind: "assets", assetId: foreign.assetId!, artifact: "Linux.Sys.Processes", profileId: "", expiresInHours: "24" };
      expect(await act("newTask", post("adminA", `/cases/${foreign.caseId}/tasks/new`, newTask), { caseId: foreign.caseId! })).toBe(404);
      // Own case targeting the other organization's asset: nothing matches, nothing is queued.
      expect(await act("newTask", post("adminA", `/cases/${own.caseId}/tasks/new`, newTask), { caseId: own.caseId! })).toBe(400);
      expect(await act("deployment", post("adminA", "/deployment", { intent: "revoke", tokenId: foreign.tokenId! }))).toBe(404);

      expect(await env.db.asset.findUniqueOrThrow({ where: { id: foreign.assetId! } })).toEqual(before.asset);
      expect(await env.db.caseNote.count({ where: { caseId: foreign.caseId! } })).toBe(before.notes);
      expect(await env.db.task.findUniqueOrThrow({ where: { id: foreign.taskId! } })).toEqual(before.task);
      expect(await env.db.task.count({ where: { caseId: foreign.caseId! } })).toBe(before.tasks);
      expect(await env.db.taskAssignment.count({ where: { assetId: foreign.assetId!, task: { organizationId: orgA.id } } })).toBe(0);
      expect(await env.db.deploymentToken.findUniqueOrThrow({ where: { id: foreign.tokenId! } })).toEqual(before.token);
      expect(await env.db.case.findUniqueOrThrow({ where: { id: foreign.caseId! } })).toEqual(before.case);
    });

    it("lists only the caller's organization", async () => {
      const assets = (await routes.assets!.loader!({ request: get("viewerA", "/assets"), params: {}, context: {} })) as { assets: { id: string }[] };
      expect(assets.assets.map((asset) => asset.id)).toEqual([own.assetId]);
      const cases = (await routes.cases!.loader!({ request: get("viewerA", "/cases?status=all"), params: {}, context: {} })) as { cases: { id: string }[] };
      expect(cases.cases.map((c) => c.id)).toEqual([own.caseId]);
      const tokens = (await routes.deployment!.loader!({ request: get("adminA", "/deployment"), params: {}, context: {} })) as { tokens: { id: string }[] };
      expect(tokens.tokens.map((token) => token.id)).toEqual([own.tokenId]);
    });

    it("refuses every write from a viewer with 403 and changes nothing", async () => {
      const counts = async () => ({
        cases: await env.db.case.count(),
        notes: await env.db.caseNote.count(),
        tasks: await env.db.task.count(),
        tokens: await env.db.deploymentToken.count(),
        revoked: await env.db.asset.count({ where: { revokedAt: { not: null } } }),
      });
      const before = await counts();
      expect(await act("cases", post("viewerA", "/cases", { name: "viewer case" }))).toBe(403);
      expect(await act("case", post("viewerA", `/cases/${own.caseId}`, { intent: "note", body: "viewer note" }), { caseId: own.caseId! })).toBe(403);
      expect(await act("case", post("viewerA", `/cases/${own.caseId}`, { intent: "cancel-task", taskId: own.taskId! }), { caseId: own.caseId! })).toBe(403);
      expect(await act("newTask", post("viewerA", `/cases/${own.caseId}/tasks/new`, { targetKind: "assets", assetId: own.assetId!, artifact: "Linux.Sys.Processes", profileId: "", expiresInHours: "24" }), { caseId: own.caseId! })).toBe(403);
      expect(await act("asset", post("viewerA", `/assets/${own.assetId}`, { intent: "tags", tags: "x" }), { assetId: own.assetId! })).toBe(403);
      expect(await act("deployment", post("viewerA", "/deployment", { intent: "create", name: "viewer token" }))).toBe(403);
      // Analysts may run cases but not administer responders.
      expect(await act("deployment", post("analystA", "/deployment", { intent: "create", name: "analyst token" }))).toBe(403);
      expect(await act("asset", post("analystA", `/assets/${own.assetId}`, { intent: "revoke" }), { assetId: own.assetId! })).toBe(403);
      expect(await counts()).toEqual(before);
    });

    it("lets an admin create a deployment token that enrolls a responder, and revoke it", async () => {
      const created = (await routes.deployment!.action!({ request: post("adminA", "/deployment", { intent: "create", name: "route token", maxUses: "2", tags: "lab, linux", expiresInDays: "7" }), params: {}, context: {} })) as { data: { token?: string } };
      const token = created.data.token!;
      expect(token).toMatch(/^cvd_dt_[a-z2-7]{52}$/);
      const record = await env.db.deploymentToken.findFirstOrThrow({ where: { organizationId: orgA.id, name: "route token" } });
      expect(record).toMatchObject({ maxUses: 2, tags: JSON.stringify(["lab", "linux"]), createdById: orgA.admin.id });
      const responder = await enroll(env.ctx, token, sampleFacts("route-enrolled"));
      expect((await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } })).organizationId).toBe(orgA.id);
      expect(await act("deployment", post("adminA", "/deployment", { intent: "create", name: "", maxUses: "" }))).toBe(400);
      expect(await act("deployment", post("adminA", "/deployment", { intent: "create", name: "bad", maxUses: "-1" }))).toBe(400);
      expect(await act("deployment", post("adminA", "/deployment", { intent: "revoke", tokenId: record.id }))).toBe(200);
      expect((await env.db.deploymentToken.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();
      expect(await env.db.auditLog.count({ where: { target: record.id, action: { in: ["deployment_token.create", "deployment_token.revoke"] } } })).toBe(2);
    });

    it("wires the responder API routes to the handlers with JSON errors and method checks", async () => {
      const enrollRoute = await import("../../app/routes/api.responder.v1.enroll.ts");
      const checkinRoute = await import("../../app/routes/api.responder.v1.checkin.ts");
      const responder = await TestResponder.create();
      const enrolled = (await enrollRoute.action({ request: responder.enrollRequest(await issueToken(env.db, orgA)), params: {}, context: {} })) as Response;
      expect(enrolled.status).toBe(200);
      expect(((await enrolled.json()) as { organizationId: string }).organizationId).toBe(orgA.id);

      const checkin = (await checkinRoute.action({ request: await responder.signed("POST", responderPaths.checkin, responder.checkinBody()), params: {}, context: {} })) as Response;
      expect(checkin.status).toBe(200);
      expect(((await checkin.json()) as { status: string }).status).toBe("ok");

      const wrongMethod = (await checkinRoute.action({ request: await responder.signed("PUT", responderPaths.checkin, responder.checkinBody()), params: {}, context: {} })) as Response;
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
      const get = checkinRoute.loader();
      expect(get.status).toBe(405);
      expect(((await get.json()) as { error: { code: string } }).error.code).toBe("malformed");
    });

    it("lets an analyst create a case, add a note and start an acquisition, each audited", async () => {
      expect(await act("cases", post("analystA", "/cases", { name: "Route-made case", description: "d" }))).toBe(302);
      const created = await env.db.case.findFirstOrThrow({ where: { name: "Route-made case", organizationId: orgA.id } });
      expect(await act("case", post("analystA", `/cases/${created.id}`, { intent: "note", body: "first look" }), { caseId: created.id })).toBe(200);
      const newTask = { targetKind: "assets", assetId: own.assetId!, profileId: "", artifact: "Linux.Sys.Processes", expiresInHours: "24" };
      expect(await act("newTask", post("analystA", `/cases/${created.id}/tasks/new`, newTask), { caseId: created.id })).toBe(302);
      const task = await env.db.task.findFirstOrThrow({ where: { caseId: created.id }, include: { assignments: true } });
      expect(task.assignments.map((assignment) => [assignment.assetId, assignment.status])).toEqual([[own.assetId, "queued"]]);
      const actions = (await env.db.auditLog.findMany({ where: { actorId: orgA.analyst.id }, select: { action: true } })).map((entry) => entry.action);
      expect(actions).toEqual(expect.arrayContaining(["case.create", "case.note", "task.create"]));
    });
  });
}
