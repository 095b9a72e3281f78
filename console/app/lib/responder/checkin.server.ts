import {
  CheckinRequest,
  MAX_JSON_BODY_BYTES,
  computeCheckinInterval,
  type CheckinResponse,
  type TaskAssignment as WireTaskAssignment,
} from "@corvid/protocol";
import type { Db } from "../../db.server.ts";
import type { Asset } from "../../generated/sqlite/client.ts";
import { assetFactsData, countActiveAssets, mergeTags, parseJsonArray } from "../assets.server.ts";
import { DEFAULT_TASK_LIMITS, taskArtifacts } from "../tasks.server.ts";
import { authenticateResponder } from "./authenticate.server.ts";
import { parseJsonBody } from "./body.server.ts";
import type { ResponderContext } from "./context.server.ts";
import { waitForTask } from "./wakeup.server.ts";

/** A delivered task the responder does not list as active after this long was lost in transit: deliver it again. */
export const REDELIVER_AFTER_MS = 2 * 60 * 1000;
const MAX_TASKS_PER_CHECKIN = 64;

/**
 * POST /checkin: records facts and resource use, expires overdue assignments, hands over queued tasks
 * (holding the request open up to the long-poll window with `?wait=1` when there are none)
 * and tells the responder which of its active tasks to cancel.
 */
export async function handleCheckin(ctx: ResponderContext, request: Request): Promise<CheckinResponse> {
  const { asset, body } = await authenticateResponder(ctx, request, MAX_JSON_BODY_BYTES);
  const checkin = parseJsonBody(body, CheckinRequest);
  const now = new Date(ctx.now());

  await ctx.db.asset.update({
    where: { id: asset.id },
    data: {
      ...assetFactsData(checkin.facts),
      lastSeenAt: now,
      // Tags the responder reports are added; tags given by the deployment token or an analyst stay.
      ...(checkin.facts.tags ? { tags: JSON.stringify(mergeTags(parseJsonArray(asset.tags), checkin.facts.tags)) } : {}),
    },
  });

  let tasks = await deliverAssignments(ctx.db, asset, checkin.activeTaskIds, now);
  if (tasks.length === 0 && new URL(request.url).searchParams.get("wait") === "1" && ctx.longPollMs > 0) {
    if (await waitForTask(asset.id, ctx.longPollMs, request.signal)) {
      tasks = await deliverAssignments(ctx.db, asset, checkin.activeTaskIds, new Date(ctx.now()));
    }
  }

  return {
    status: "ok",
    nextCheckinSec: computeCheckinInterval(await countActiveAssets(ctx.db, asset.organizationId, ctx.now())),
    tasks,
    cancelTaskIds: await tasksToCancel(ctx.db, asset.id, checkin.activeTaskIds),
  };
}

/**
 * One query per check-in for the asset's waiting assignments (the common answer is "none"): overdue ones
 * are expired, queued ones (and delivered ones that were evidently lost in transit) are handed over.
 */
async function deliverAssignments(db: Db, asset: Asset, activeTaskIds: string[], now: Date): Promise<WireTaskAssignment[]> {
  const waiting = await db.taskAssignment.findMany({
    where: { assetId: asset.id, status: { in: ["queued", "delivered"] } },
    include: { task: true },
    orderBy: { createdAt: "asc" },
  });
  if (waiting.length === 0) return [];
  const overdue = waiting.filter(({ task }) => task.expiresAt <= now);
  if (overdue.length) {
    await db.taskAssignment.updateMany({
      where: { id: { in: overdue.map((assignment) => assignment.id) }, status: { in: ["queued", "delivered"] } },
      data: { status: "expired", finishedAt: now },
    });
  }
  const active = new Set(activeTaskIds);
  const lostBefore = now.getTime() - REDELIVER_AFTER_MS;
  const assignments = waiting
    .filter(({ task, status, deliveredAt, taskId }) => {
      if (task.cancelledAt || task.expiresAt <= now) return false;
      return status === "queued" || (deliveredAt !== null && deliveredAt.getTime() < lostBefore && !active.has(taskId));
    })
    .slice(0, MAX_TASKS_PER_CHECKIN);
  if (assignments.length === 0) return [];
  await db.taskAssignment.updateMany({
    where: { id: { in: assignments.map((assignment) => assignment.id) }, status: { in: ["queued", "delivered"] } },
    data: { status: "delivered", deliveredAt: now },
  });
  return assignments.map(({ task }) => ({
    taskId: task.id,
    kind: "acquisition",
    caseId: task.caseId,
    artifacts: taskArtifacts(task),
    limits: DEFAULT_TASK_LIMITS,
    expiresAt: task.expiresAt.toISOString(),
  }));
}

/** Active tasks the console no longer wants: cancelled, expired, or unknown to this asset. */
async function tasksToCancel(db: Db, assetId: string, activeTaskIds: string[]): Promise<string[]> {
  if (activeTaskIds.length === 0) return [];
  const known = await db.taskAssignment.findMany({
    where: { assetId, taskId: { in: activeTaskIds } },
    select: { taskId: true, status: true },
  });
  const statusByTask = new Map(known.map((assignment) => [assignment.taskId, assignment.status]));
  return activeTaskIds.filter((taskId) => {
    const status = statusByTask.get(taskId);
    return status === undefined || status === "cancelled" || status === "expired";
  });
}
