import { handleCheckin } from "../lib/responder/checkin.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request) => handleCheckin(ctx, request));
export const loader = responderLoader("POST");
