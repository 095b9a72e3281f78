import { ArtifactRequest, type ArtifactDefinition, type ParameterValues, type TaskLimits } from "@corvid/protocol";
import { z } from "zod";
import type { Db } from "../db.server.ts";
import type { Task } from "../generated/sqlite/client.ts";
import { mergeTags, parseJsonArray } from "./assets.server.ts";
import { audit } from "./audit.server.ts";
import { InputError, type OrgUser } from "./cases.server.ts";
import type { ArtifactCatalogue } from "./responder/artifact-catalogue.server.ts";
import { notifyTaskQueued } from "./responder/wakeup.server.ts";

/** Acquisition runs at low priority on the responder; these bound what it may use. */
export const DEFAULT_TASK_LIMITS: TaskLimits = { cpuPercent: 50, memoryMb: 512, timeoutSec: 3600 };

export const TASK_EXPIRY_HOURS = [1, 6, 24, 72, 168] as const;
export const DEFAULT_TASK_EXPIRY_HOURS = 24;

/** Per-asset states in which the responder may still work on a task. */
export const OPEN_ASSIGNMENT_STATES = ["queued", "delivered", "running"];

export function isOpenAssignmentState(status: string): boolean {
  return OPEN_ASSIGNMENT_STATES.includes(status);
}

const StoredArtifacts = z.array(ArtifactRequest);

/** The artifact requests stored on a task (JSON), as sent to responders. */
export function taskArtifacts(task: Pick<Task, "artifacts">): ArtifactRequest[] {
  return StoredArtifacts.parse(JSON.parse(task.artifacts));
}

/**
 * Queued or delivered assignments whose task expired before the responder took them become "expired".
 * Running ones are left alone: the responder is working and reports the outcome itself.
 */
export async function expireOverdueAssignments(
  db: Db,
  scope: { organizationId: string; caseId?: string; taskId?: string },
  now = new Date(),
): Promise<number> {
  const { count } = await db.taskAssignment.updateMany({
    where: {
      status: { in: ["queued", "delivered"] },
      task: {
        organizationId: scope.organizationId,
        expiresAt: { lte: now },
        ...(scope.caseId ? { caseId: scope.caseId } : {}),
        ...(scope.taskId ? { id: scope.taskId } : {}),
      },
    },
    data: { status: "expired", finishedAt: now },
  });
  return count;
}

// ---- acquisition profiles ----

/** Profiles every organization gets, derived from the artifact catalogue. */
export function builtInProfiles(catalogue: ArtifactCatalogue): { name: string; artifacts: string[] }[] {
  const profiles: { name: string; artifacts: string[] }[] = [];
  const platforms = [...new Set(catalogue.artifacts.flatMap((artifact) => artifact.platforms))].sort();
  for (const platform of platforms) {
    const artifacts = catalogue.artifacts.filter((artifact) => artifact.platforms.includes(platform)).map((artifact) => artifact.name);
    profiles.push({ name: `${platformLabel(platform)} triage`, artifacts });
  }
  const processes = catalogue.get("Linux.Sys.Processes");
  if (processes) profiles.push({ name: "Linux processes", artifacts: [processes.name] });
  return profiles;
}

function platformLabel(platform: string): string {
  return platform === "darwin" ? "macOS" : platform === "chromeos" ? "ChromeOS" : platform[0]!.toUpperCase() + platform.slice(1);
}

/** Creates or refreshes the built-in profiles of an organization (idempotent). */
export async function ensureBuiltInProfiles(db: Db, organizationId: string, catalogue: ArtifactCatalogue): Promise<void> {
  for (const profile of builtInProfiles(catalogue)) {
    const artifacts = JSON.stringify(profile.artifacts);
    await db.acquisitionProfile.upsert({
      where: { organizationId_name: { organizationId, name: profile.name } },
      create: { organizationId, name: profile.name, artifacts, builtIn: true },
      update: { artifacts, builtIn: true },
    });
  }
}

export async function listProfiles(db: Db, organizationId: string, catalogue: ArtifactCatalogue) {
  await ensureBuiltInProfiles(db, organizationId, catalogue);
  const profiles = await db.acquisitionProfile.findMany({ where: { organizationId }, orderBy: [{ builtIn: "desc" }, { name: "asc" }] });
  return profiles.map((profile) => ({ ...profile, artifacts: parseJsonArray(profile.artifacts) }));
}

// ---- tasks ----

export type TaskTarget = { kind: "assets"; assetIds: string[] } | { kind: "tags"; tags: string[]; platform?: string };

export interface NewAcquisitionTask {
  caseId: string;
  profileId?: string;
  /** Explicit artifact names; used when no profile is given. */
  artifacts?: string[];
  target: TaskTarget;
  expiresInHours: number;
}

/** Reads the new-task form: `profileId` or `artifact` (repeated), `targetKind`, `assetId` (repeated) or `tags`, `expiresInHours`. */
export function readNewTaskForm(form: FormData, caseId: string): NewAcquisitionTask {
  const profileId = String(form.get("profileId") ?? "").trim() || undefined;
  const artifacts = form.getAll("artifact").map(String).filter(Boolean);
  const targetKind = String(form.get("targetKind") ?? "assets");
  const target: TaskTarget =
    targetKind === "tags"
      ? {
          kind: "tags",
          tags: mergeTags(String(form.get("tags") ?? "").split(",")),
          platform: String(form.get("platform") ?? "").trim() || undefined,
        }
      : { kind: "assets", assetIds: form.getAll("assetId").map(String).filter(Boolean) };
  const hours = Number(form.get("expiresInHours") ?? DEFAULT_TASK_EXPIRY_HOURS);
  return { caseId, profileId, artifacts, target, expiresInHours: hours };
}

export async function createAcquisitionTask(db: Db, user: OrgUser, catalogue: ArtifactCatalogue, input: NewAcquisitionTask) {
  const organizationId = user.organizationId;
  const targetCase = await db.case.findFirst({ where: { id: input.caseId, organizationId } });
  if (!targetCase) return null;
  if (targetCase.status !== "open") throw new InputError("The case is closed: reopen it to run tasks.");
  if (!(TASK_EXPIRY_HOURS as readonly number[]).includes(input.expiresInHours)) {
    throw new InputError("Pick an expiry from the list.", "expiresInHours");
  }

  let artifactNames: string[];
  let profileId: string | null = null;
  if (input.profileId) {
    const profile = await db.acquisitionProfile.findFirst({ where: { id: input.profileId, organizationId } });
    if (!profile) throw new InputError("Unknown acquisition profile.", "profileId");
    artifactNames = parseJsonArray(profile.artifacts);
    profileId = profile.id;
  } else {
    artifactNames = [...new Set(input.artifacts ?? [])];
  }
  if (artifactNames.length === 0) throw new InputError("Pick an acquisition profile or at least one artifact.", "profileId");
  const definitions: ArtifactDefinition[] = [];
  for (const name of artifactNames) {
    const definition = catalogue.get(name);
    if (!definition) throw new InputError(`Unknown artifact ${name}.`, "artifact");
    definitions.push(definition);
  }

  const assets = await resolveTargets(db, organizationId, input.target);
  if (assets.length === 0) throw new InputError("No enrolled asset matches the targets.", "targets");
  const artifacts = definitions.map((definition) => ({ name: definition.name, parameters: defaultParameters(definition) }));

  const now = new Date();
  const task = await db.$transaction(async (tx) => {
    const task = await tx.task.create({
      data: {
        organizationId,
        caseId: targetCase.id,
        kind: "acquisition",
        profileId,
        artifacts: JSON.stringify(artifacts),
        targetFilter: JSON.stringify(input.target),
        createdById: user.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + input.expiresInHours * 3600_000),
      },
    });
    await tx.taskAssignment.createMany({ data: assets.map((asset) => ({ taskId: task.id, assetId: asset.id })) });
    return task;
  });
  await audit(db, {
    organizationId,
    actorType: "user",
    actorId: user.id,
    action: "task.create",
    target: task.id,
    detail: { caseId: targetCase.id, artifacts: artifactNames, target: input.target, assets: assets.length },
  });
  notifyTaskQueued(assets.map((asset) => asset.id));
  return task;
}

/** Parameters are sent explicitly, so a task records exactly what was asked for even if the YAML changes later. */
function defaultParameters(definition: ArtifactDefinition): ParameterValues {
  const parameters: ParameterValues = {};
  for (const parameter of definition.parameters ?? []) {
    if (parameter.default !== undefined) parameters[parameter.name] = parameter.default;
  }
  return parameters;
}

async function resolveTargets(db: Db, organizationId: string, target: TaskTarget) {
  if (target.kind === "assets") {
    if (target.assetIds.length === 0) return [];
    return db.asset.findMany({ where: { organizationId, revokedAt: null, id: { in: target.assetIds } }, select: { id: true } });
  }
  if (target.tags.length === 0) throw new InputError("Give at least one tag.", "tags");
  const candidates = await db.asset.findMany({
    where: { organizationId, revokedAt: null, ...(target.platform ? { platform: target.platform } : {}) },
    select: { id: true, tags: true },
  });
  return candidates.filter((asset) => {
    const tags = new Set(parseJsonArray(asset.tags));
    return target.tags.every((tag) => tags.has(tag));
  });
}

export async function getTask(db: Db, organizationId: string, taskId: string, now = new Date()) {
  await expireOverdueAssignments(db, { organizationId, taskId }, now);
  return db.task.findFirst({
    where: { id: taskId, organizationId },
    include: {
      case: { select: { id: true, name: true } },
      profile: { select: { name: true } },
      createdBy: { select: { email: true } },
      assignments: { orderBy: { createdAt: "asc" }, include: { asset: { select: { id: true, hostname: true, platform: true } } } },
      evidence: { orderBy: { receivedAt: "desc" }, include: { asset: { select: { hostname: true } } } },
    },
  });
}

/** Cancels a task: open assignments become "cancelled"; responders working on it are told at their next check-in. */
export async function cancelTask(db: Db, user: OrgUser, taskId: string): Promise<boolean> {
  const now = new Date();
  const { count } = await db.task.updateMany({ where: { id: taskId, organizationId: user.organizationId, cancelledAt: null }, data: { cancelledAt: now } });
  if (count === 0) return false;
  await db.taskAssignment.updateMany({
    where: { taskId, status: { in: OPEN_ASSIGNMENT_STATES } },
    data: { status: "cancelled", finishedAt: now },
  });
  await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "task.cancel", target: taskId, detail: {} });
  return true;
}

/** Counts of assignments per state, for progress summaries. */
export function summarizeAssignments(assignments: readonly { status: string; progress: number }[]) {
  const byState: Record<string, number> = {};
  for (const assignment of assignments) byState[assignment.status] = (byState[assignment.status] ?? 0) + 1;
  const progress = assignments.length ? assignments.reduce((sum, assignment) => sum + assignment.progress, 0) / assignments.length : 0;
  return { byState, progress, total: assignments.length };
}
