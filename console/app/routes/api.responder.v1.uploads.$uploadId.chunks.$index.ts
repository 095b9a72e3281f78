import { handleUploadChunk } from "../lib/evidence/uploads.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("PUT", (ctx, request, params) =>
  handleUploadChunk(ctx, request, params.uploadId ?? "", params.index ?? ""),
);
export const loader = responderLoader("PUT");
