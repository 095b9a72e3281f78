import type { z } from "zod";
import { ERROR_STATUS, errorBody, type ErrorCode } from "@corvid/protocol";

/**
 * Errors answered to responders as `{ error: { code, message, issues? } }` (protocol `ErrorBody`).
 * Handlers throw `ResponderError`; `respond` turns any thrown value into that JSON,
 * so a bug never leaks a stack trace or an HTML error page to an agent.
 */
export class ResponderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly zodError?: z.ZodError,
  ) {
    super(message);
    this.name = "ResponderError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const malformed = (message: string, zodError?: z.ZodError) => new ResponderError("malformed", message, zodError);
export const unauthorized = (message: string) => new ResponderError("unauthorized", message);
export const notFound = (message: string) => new ResponderError("not-found", message);
export const conflict = (message: string) => new ResponderError("conflict", message);
export const reenroll = (message: string) => new ResponderError("reenroll", message);
export const tooLarge = (message: string) => new ResponderError("too-large", message);

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

export function toErrorResponse(error: unknown): Response {
  if (error instanceof ResponderError) {
    return jsonResponse(errorBody(error.code, error.message, error.zodError), error.status);
  }
  console.error("responder API: unexpected error", error);
  return jsonResponse(errorBody("internal", "internal error"), 500);
}

/** Runs a handler and converts thrown errors into contract-shaped JSON responses. */
export async function respond(handler: () => Promise<unknown>): Promise<Response> {
  try {
    const result = await handler();
    return result instanceof Response ? result : jsonResponse(result);
  } catch (error) {
    return toErrorResponse(error);
  }
}
