// CSRF protection: every non-GET request of a logged-in user carries the session's token, as the
// hidden form field `csrf` or the `x-csrf-token` header. SameSite cookies are the second layer.
import { timingSafeEqual } from "node:crypto";

export const CSRF_FIELD = "csrf";
export const CSRF_HEADER = "x-csrf-token";

export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Reads the token from the header or the form body (of a clone, so the action can still read it). */
export async function submittedCsrfToken(request: Request): Promise<string | null> {
  const header = request.headers.get(CSRF_HEADER);
  if (header) return header;
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.includes("application/x-www-form-urlencoded") && !contentType.includes("multipart/form-data")) return null;
  try {
    const value = (await request.clone().formData()).get(CSRF_FIELD);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

export async function csrfTokenMatches(request: Request, expected: string): Promise<boolean> {
  const submitted = await submittedCsrfToken(request);
  return submitted !== null && sameToken(submitted, expected);
}
