import type { ActionFunctionArgs } from "@remix-run/node";
import { errorBody } from "@corvid/protocol";
import { getResponderContext, type ResponderContext } from "./context.server.ts";
import { jsonResponse, respond } from "./errors.server.ts";
import { signIfAsked } from "./identity.server.ts";

type Params = ActionFunctionArgs["params"];

function methodNotAllowed(allowed: string): Response {
  const response = jsonResponse(errorBody("malformed", `use ${allowed} for this endpoint`), 405);
  response.headers.set("allow", allowed);
  return response;
}

/** A Remix `action` for one responder endpoint: method check, process context, contract-shaped errors, signed answers for pinned responders. */
export function responderAction(
  method: "POST" | "PUT",
  handler: (ctx: ResponderContext, request: Request, params: Params) => Promise<unknown>,
) {
  return async ({ request, params }: ActionFunctionArgs): Promise<Response> => {
    if (request.method !== method) return methodNotAllowed(method);
    let ctx: ResponderContext | undefined;
    const response = await respond(async () => handler((ctx = await getResponderContext()), request, params));
    return signIfAsked(ctx?.identity, request, response);
  };
}

/** Responder endpoints have no GET: answer JSON rather than an HTML error page. */
export function responderLoader(method: "POST" | "PUT") {
  return (): Response => methodNotAllowed(method);
}
