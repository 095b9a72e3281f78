import { handleUploadBegin } from "../lib/evidence/uploads.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request) => handleUploadBegin(ctx, request));
export const loader = responderLoader("POST");
