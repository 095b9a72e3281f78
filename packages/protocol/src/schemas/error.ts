import { z } from "zod";

export const ErrorCode = z.enum([
  "malformed",
  "unauthorized",
  "not-found",
  "conflict",
  "reenroll",
  "too-large",
  "rate-limited",
  "internal",
]);

/** HTTP status that goes with each error code. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  malformed: 400,
  unauthorized: 401,
  "not-found": 404,
  conflict: 409,
  reenroll: 410,
  "too-large": 413,
  "rate-limited": 429,
  internal: 500,
};

/** Every non-2xx answer of the responder API. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string().max(4096),
    /** Summarized validation issues for 400 answers. */
    issues: z.array(z.object({ path: z.string().max(512), message: z.string().max(1024) })).max(32).optional(),
  }),
});

/** Builds the error body; zod issues (if any) are cut to the schema's limits. */
export function errorBody(code: ErrorCode, message: string, zodError?: z.ZodError): ErrorBody {
  const issues = zodError?.issues.slice(0, 32).map((issue) => ({
    path: issue.path.map(String).join(".").slice(0, 512),
    message: issue.message.slice(0, 1024),
  }));
  return { error: { code, message: message.slice(0, 4096), ...(issues ? { issues } : {}) } };
}

export type ErrorCode = z.infer<typeof ErrorCode>;
export type ErrorBody = z.infer<typeof ErrorBody>;
