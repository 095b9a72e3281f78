import { z } from "zod";
import { ArtifactName, Identifier, ParameterValues, Timestamp } from "./common.ts";

export const ArtifactRequest = z.object({
  name: ArtifactName,
  parameters: ParameterValues.optional(),
});

export const TaskLimits = z.object({
  cpuPercent: z.number().min(1).max(100),
  memoryMb: z.int().min(16).max(65_536),
  timeoutSec: z.int().min(1).max(7 * 86_400),
});

/** A task the console hands to a responder in a check-in answer. */
export const TaskAssignment = z.object({
  taskId: Identifier,
  kind: z.literal("acquisition"),
  caseId: Identifier,
  artifacts: z.array(ArtifactRequest).min(1).max(256),
  limits: TaskLimits,
  expiresAt: Timestamp,
});

/** What a responder may report about a task (POST /tasks/:taskId/progress). */
export const TaskProgressState = z.enum(["running", "completed", "failed"]);

export const TaskProgress = z.object({
  state: TaskProgressState,
  progress: z.number().min(0).max(1),
  message: z.string().max(1024).optional(),
  error: z.string().max(4096).optional(),
  artifactsDone: z.array(ArtifactName).max(256).optional(),
});

export const TaskProgressResponse = z.object({ ok: z.literal(true) });

/** Per-asset task states as the console tracks them. */
export const TaskState = z.enum(["queued", "delivered", "running", "completed", "failed", "cancelled", "expired"]);

const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(["completed", "failed", "cancelled", "expired"]);

/** Terminal states never change again; progress reports for them are answered with 409. */
export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

export type ArtifactRequest = z.infer<typeof ArtifactRequest>;
export type TaskLimits = z.infer<typeof TaskLimits>;
export type TaskAssignment = z.infer<typeof TaskAssignment>;
export type TaskProgressState = z.infer<typeof TaskProgressState>;
export type TaskProgress = z.infer<typeof TaskProgress>;
export type TaskProgressResponse = z.infer<typeof TaskProgressResponse>;
export type TaskState = z.infer<typeof TaskState>;
