// Small helpers for reading form posts in route actions.

export function formString(form: FormData, name: string, maxLength = 1000): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim().slice(0, maxLength) : "";
}

/** A same-site path to go back to after login, never an absolute or protocol-relative URL. */
export function safeRedirectPath(value: string | null | undefined, fallback = "/"): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  return value;
}

/**
 * Rejects cross-site form posts on pages that have no session yet (login, one-time link):
 * browsers send Origin with every POST, and it must name this console.
 */
export function isCrossSitePost(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") return origin === "null";
  return new URL(origin).host !== new URL(request.url).host;
}
