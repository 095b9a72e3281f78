import { handleEnroll } from "../lib/responder/enroll.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request) => handleEnroll(ctx, request));
export const loader = responderLoader("POST");
