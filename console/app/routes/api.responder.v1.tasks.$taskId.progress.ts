import { handleTaskProgress } from "../lib/responder/progress.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request, params) => handleTaskProgress(ctx, request, params.taskId ?? ""));
export const loader = responderLoader("POST");
