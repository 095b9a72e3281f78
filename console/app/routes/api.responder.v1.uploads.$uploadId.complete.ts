import { handleUploadComplete } from "../lib/evidence/uploads.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request, params) => handleUploadComplete(ctx, request, params.uploadId ?? ""));
export const loader = responderLoader("POST");
