import { MAX_JSON_BODY_BYTES, TaskProgress, type TaskProgressResponse } from "@corvid/protocol";
import { OPEN_ASSIGNMENT_STATES, isOpenAssignmentState } from "../tasks.server.ts";
import { authenticateResponder } from "./authenticate.server.ts";
import { parseJsonBody } from "./body.server.ts";
import type { ResponderContext } from "./context.server.ts";
import { conflict, notFound } from "./errors.server.ts";


/**
 * POST /tasks/:taskId/progress: moves this responder's assignment to running, completed or failed.
 * Cancelled or expired tasks answer 409 so the responder stops; repeating the final report is harmless.
 */
export async function handleTaskProgress(ctx: ResponderContext, request: Request, taskId: string): Promise<TaskProgressResponse> {
  const { asset, body } = await authenticateResponder(ctx, request, MAX_JSON_BODY_BYTES);
  const report = parseJsonBody(body, TaskProgress);
  const assignment = await ctx.db.taskAssignment.findUnique({
    where: { taskId_assetId: { taskId, assetId: asset.id } },
    include: { task: { select: { cancelledAt: true } } },
  });
  if (!assignment) throw notFound("no such task for this responder");
  if (assignment.task.cancelledAt || assignment.status === "cancelled") throw conflict("task was cancelled");
  if (assignment.status === "expired") throw conflict("task expired");
  if (assignment.status === report.state && report.state !== "running") return { ok: true };
  if (!isOpenAssignmentState(assignment.status)) throw conflict(`task is already ${assignment.status}`);

  const now = new Date(ctx.now());
  const finished = report.state !== "running";
  const { count } = await ctx.db.taskAssignment.updateMany({
    where: { id: assignment.id, status: { in: OPEN_ASSIGNMENT_STATES } },
    data: {
      status: report.state,
      progress: report.state === "completed" ? 1 : report.progress,
      message: report.message ?? null,
      ...(report.state === "failed" ? { error: report.error ?? report.message ?? "failed" } : {}),
      startedAt: assignment.startedAt ?? now,
      deliveredAt: assignment.deliveredAt ?? now,
      ...(finished ? { finishedAt: now } : {}),
    },
  });
  // Lost a race with a cancellation or another final report.
  if (count === 0) throw conflict("task is no longer open");
  return { ok: true };
}
