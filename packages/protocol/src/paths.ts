import { RESPONDER_API_BASE } from "./constants.ts";

/** Paths (without origin) of every responder endpoint; the signed path is exactly what is requested. */
export const responderPaths = {
  /** Unsigned: the console proves it holds the pinned CA before a responder sends its deployment token. */
  identity: `${RESPONDER_API_BASE}/identity`,
  enroll: `${RESPONDER_API_BASE}/enroll`,
  checkin: `${RESPONDER_API_BASE}/checkin`,
  /** Check-in that the console may hold open (long-poll) until a task is queued. */
  checkinWait: `${RESPONDER_API_BASE}/checkin?wait=1`,
  taskProgress: (taskId: string) => `${RESPONDER_API_BASE}/tasks/${encodeURIComponent(taskId)}/progress`,
  uploads: `${RESPONDER_API_BASE}/uploads`,
  uploadChunk: (uploadId: string, index: number) =>
    `${RESPONDER_API_BASE}/uploads/${encodeURIComponent(uploadId)}/chunks/${index}`,
  uploadComplete: (uploadId: string) => `${RESPONDER_API_BASE}/uploads/${encodeURIComponent(uploadId)}/complete`,
} as const;
