import type { ActionFunctionArgs } from "@remix-run/node";
import { errorBody } from "@corvid/protocol";
import { getResponderContext, type ResponderContext } from "./context.server.ts";
import { jsonResponse, respond } from "./errors.server.ts";

type Params = ActionFunctionArgs["params"];

function methodNotAllowed(allowed: string): Response {
  const response = jsonResponse(errorBody("malformed", `use ${allowed} for this endpoint`), 405);
  response.headers.set("allow", allowed);
  return response;
}

/** A Remix `action` for one responder endpoint: method check, process context, contract-shaped errors. */
export function responderAction(
  method: "POST" | "PUT",
  handler: (ctx: ResponderContext, request: Request, params: Params) => Promise<unknown>,
) {
  return async ({ request, params }: ActionFunctionArgs): Promise<Response> => {
    if (request.method !== method) return methodNotAllowed(method);
    return respond(async () => handler(await getResponderContext(), request, params));
  };
}

/** Responder endpoints have no GET: answer JSON rather than an HTML error page. */
export function responderLoader(method: "POST" | "PUT") {
  return (): Response => methodNotAllowed(method);
}
