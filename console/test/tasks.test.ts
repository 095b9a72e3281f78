// Acquisition profiles from the repository's artifact catalogue, task targeting, validation, cancel and expiry,
// on SQLite and PostgreSQL.
import { ArtifactDefinition, responderPaths } from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, createCase, setCaseStatus } from "../app/lib/cases.server.ts";
import { loadArtifactCatalogue, resolveArtifactsDir, type ArtifactCatalogue } from "../app/lib/responder/artifact-catalogue.server.ts";
import { handleCheckin } from "../app/lib/responder/checkin.server.ts";
import {
  builtInProfiles,
  cancelTask,
  createAcquisitionTask,
  getTask,
  listProfiles,
  readNewTaskForm,
  summarizeAssignments,
  taskArtifacts,
} from "../app/lib/tasks.server.ts";
import {
  DATABASE_KINDS,
  call,
  enroll,
  issueToken,
  openTestEnvironment,
  sampleFacts,
  seedOrganization,
  type SeededOrganization,
  type TestEnvironment,
} from "./helpers/responder-fixtures.ts";

describe("artifact catalogue", () => {
  it("loads and validates every artifact YAML in the repository and derives the built-in profiles", async () => {
    const dir = resolveArtifactsDir();
    expect(dir).toMatch(/artifacts$/);
    const catalogue = await loadArtifactCatalogue(dir);
    const names = catalogue.artifacts.map((artifact) => artifact.name);
    expect(names).toContain("Linux.Sys.Processes");
    for (const artifact of catalogue.artifacts) expect(ArtifactDefinition.safeParse(artifact).success).toBe(true);
    const processes = catalogue.get("Linux.Sys.Processes")!;
    expect(processes.columns.map((column) => column.name)).toEqual(expect.arrayContaining(["pid", "ppid", "cmdline"]));

    const profiles = builtInProfiles(catalogue);
    const triage = profiles.find((profile) => profile.name === "Linux triage")!;
    expect(triage.artifacts.sort()).toEqual(catalogue.artifacts.filter((artifact) => artifact.platforms.includes("linux")).map((artifact) => artifact.name).sort());
    expect(profiles.find((profile) => profile.name === "Linux processes")?.artifacts).toEqual(["Linux.Sys.Processes"]);
  });

  it("gives an empty catalogue when there is no artifacts folder", async () => {
    expect((await loadArtifactCatalogue(undefined)).artifacts).toEqual([]);
  });
});

describe.each(DATABASE_KINDS)("tasks on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let org: SeededOrganization;
  let other: SeededOrganization;
  let catalogue: ArtifactCatalogue;
  let caseId: string;
  const assets: Record<string, string> = {};

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    catalogue = await loadArtifactCatalogue(resolveArtifactsDir());
    org = await seedOrganization(env.db, "tasks-org");
    other = await seedOrganization(env.db, "tasks-other");
    const prod = await issueToken(env.db, org, { tags: ["prod"] });
    for (const [name, facts] of [
      ["web", sampleFacts("web", { tags: ["web"] })],
      ["db", sampleFacts("db")],
      ["mac", sampleFacts("mac", { platform: "darwin", tags: ["web"] })],
      ["revoked", sampleFacts("revoked", { tags: ["web"] })],
    ] as const) {
      const responder = await enroll(env.ctx, prod, facts);
      assets[name] = (await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } })).id;
    }
    await env.db.asset.update({ where: { id: assets.revoked! }, data: { revokedAt: new Date() } });
    const foreign = await enroll(env.ctx, await issueToken(env.db, other, { tags: ["prod"] }), sampleFacts("foreign", { tags: ["web"] }));
    assets.foreign = (await env.db.asset.findUniqueOrThrow({ where: { responderId: foreign.responderId } })).id;
    caseId = (await createCase(env.db, org.analyst, { name: "Tasks", description: "" })).id;
  });
  afterAll(async () => env?.close());

  it("seeds the built-in profiles once per organization", async () => {
    const first = await listProfiles(env.db, org.id, catalogue);
    const second = await listProfiles(env.db, org.id, catalogue);
    expect(second.map((profile) => profile.id)).toEqual(first.map((profile) => profile.id));
    expect(first.every((profile) => profile.builtIn)).toBe(true);
    expect(first.map((profile) => profile.name)).toEqual(expect.arrayContaining(["Linux triage", "Linux processes"]));
    expect(await env.db.acquisitionProfile.count({ where: { organizationId: other.id } })).toBe(0);
  });

  it("targets by tags (all must match, optional platform), never revoked or foreign assets", async () => {
    const triage = (await listProfiles(env.db, org.id, catalogue)).find((profile) => profile.name === "Linux triage")!;
    const byTag = await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, profileId: triage.id, target: { kind: "tags", tags: ["web", "prod"] }, expiresInHours: 24 });
    const targeted = (await getTask(env.db, org.id, byTag!.id))!.assignments.map((assignment) => assignment.asset.hostname).sort();
    expect(targeted).toEqual(["mac", "web"]);
    expect(taskArtifacts(byTag!).map((artifact) => artifact.name).sort()).toEqual([...triage.artifacts].sort());
    expect(byTag!.profileId).toBe(triage.id);

    const linuxOnly = await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Processes"], target: { kind: "tags", tags: ["web"], platform: "linux" }, expiresInHours: 1 });
    expect((await getTask(env.db, org.id, linuxOnly!.id))!.assignments.map((assignment) => assignment.asset.hostname)).toEqual(["web"]);

    const picked = await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Users"], target: { kind: "assets", assetIds: [assets.db!, assets.foreign!, assets.revoked!] }, expiresInHours: 1 });
    expect((await getTask(env.db, org.id, picked!.id))!.assignments.map((assignment) => assignment.asset.hostname)).toEqual(["db"]);
    expect(await env.db.auditLog.count({ where: { action: "task.create", organizationId: org.id } })).toBe(3);
  });

  it("explains bad requests with InputError and queues nothing", async () => {
    const before = await env.db.task.count();
    const attempt = (input: Partial<Parameters<typeof createAcquisitionTask>[3]>) =>
      createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Processes"], target: { kind: "assets", assetIds: [assets.web!] }, expiresInHours: 24, ...input });
    await expect(attempt({ artifacts: [] })).rejects.toThrow(InputError);
    await expect(attempt({ artifacts: ["Linux.Does.NotExist"] })).rejects.toThrow(/Unknown artifact/);
    await expect(attempt({ profileId: "not-a-profile" })).rejects.toThrow(/profile/);
    await expect(attempt({ target: { kind: "assets", assetIds: [] } })).rejects.toThrow(/No enrolled asset/);
    await expect(attempt({ target: { kind: "tags", tags: [] } })).rejects.toThrow(/tag/);
    await expect(attempt({ expiresInHours: 5 })).rejects.toThrow(/expiry/);
    const foreignProfile = (await listProfiles(env.db, other.id, catalogue))[0]!;
    await expect(attempt({ profileId: foreignProfile.id })).rejects.toThrow(/profile/);
    expect(await attempt({ caseId: "missing-case" })).toBeNull();
    const closed = await createCase(env.db, org.analyst, { name: "closed", description: "" });
    await setCaseStatus(env.db, org.analyst, closed.id, "closed");
    await expect(attempt({ caseId: closed.id })).rejects.toThrow(/closed/);
    expect(await env.db.task.count()).toBe(before);
  });

  it("reads the new-task form", () => {
    const form = new FormData();
    form.append("profileId", "");
    form.append("artifact", "Linux.Sys.Processes");
    form.append("artifact", "Linux.Sys.Users");
    form.append("targetKind", "tags");
    form.append("tags", "web, prod,,web");
    form.append("platform", "linux");
    form.append("expiresInHours", "6");
    expect(readNewTaskForm(form, "case-1")).toEqual({
      caseId: "case-1",
      profileId: undefined,
      artifacts: ["Linux.Sys.Processes", "Linux.Sys.Users"],
      target: { kind: "tags", tags: ["prod", "web"], platform: "linux" },
      expiresInHours: 6,
    });
  });

  it("cancels open assignments (audited) and expires overdue ones when the task is viewed", async () => {
    const task = (await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Processes"], target: { kind: "assets", assetIds: [assets.web!, assets.db!] }, expiresInHours: 1 }))!;
    expect(await cancelTask(env.db, other.analyst, task.id)).toBe(false);
    expect(await cancelTask(env.db, org.analyst, task.id)).toBe(true);
    expect(await cancelTask(env.db, org.analyst, task.id)).toBe(false);
    const cancelled = (await getTask(env.db, org.id, task.id))!;
    expect(summarizeAssignments(cancelled.assignments).byState).toEqual({ cancelled: 2 });
    expect(await env.db.auditLog.count({ where: { action: "task.cancel", target: task.id } })).toBe(1);

    const overdue = (await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Processes"], target: { kind: "assets", assetIds: [assets.db!] }, expiresInHours: 1 }))!;
    await env.db.task.update({ where: { id: overdue.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await getTask(env.db, org.id, overdue.id))!.assignments.map((assignment) => assignment.status)).toEqual(["expired"]);
    expect(await getTask(env.db, other.id, overdue.id)).toBeNull();
  });

  it("keeps a task queued for an offline asset and delivers it when the asset checks in", async () => {
    const responder = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("laptop"));
    const laptop = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
    await env.db.asset.update({ where: { id: laptop.id }, data: { lastSeenAt: new Date(Date.now() - 86_400_000) } });
    const task = (await createAcquisitionTask(env.db, org.analyst, catalogue, { caseId, artifacts: ["Linux.Sys.Processes"], target: { kind: "assets", assetIds: [laptop.id] }, expiresInHours: 24 }))!;
    expect((await getTask(env.db, org.id, task.id))!.assignments[0]!.status).toBe("queued");
    const response = await call(async () => handleCheckin(env.ctx, await responder.signed("POST", responderPaths.checkin, responder.checkinBody([], sampleFacts("laptop")))));
    expect(((await response.json()) as { tasks: { taskId: string }[] }).tasks.map((delivered) => delivered.taskId)).toEqual([task.id]);
    expect((await getTask(env.db, org.id, task.id))!.assignments[0]!.status).toBe("delivered");
  });
});
