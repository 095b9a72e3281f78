import { handleIdentity } from "../lib/responder/identity.server.ts";
import { responderAction, responderLoader } from "../lib/responder/route.server.ts";

export const action = responderAction("POST", (ctx, request) => handleIdentity(ctx, request));
export const loader = responderLoader("POST");
