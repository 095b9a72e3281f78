// Login sessions: the cookie holds a random token, the database only its SHA-256.
import type { Db } from "../db.server.ts";
import { randomToken, sha256Hex } from "./crypto-box.server.ts";

export const SESSION_COOKIE = "corvid_session";
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

function isHttps(request: Request): boolean {
  return new URL(request.url).protocol === "https:";
}

function sessionCookie(request: Request, value: string, maxAgeSeconds: number): string {
  const attributes = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSeconds}`];
  if (isHttps(request)) attributes.push("Secure");
  return attributes.join("; ");
}

export interface NewSession {
  userId: string;
  twoFactorPending: boolean;
}

/** Creates a session and returns the Set-Cookie header value that carries its token. */
export async function createSession(db: Db, request: Request, { userId, twoFactorPending }: NewSession): Promise<string> {
  const token = randomToken();
  // Expired sessions are useless; removing them here keeps the table small without a scheduler.
  await db.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await db.session.create({
    data: {
      id: sha256Hex(token),
      userId,
      twoFactorPending,
      csrfToken: randomToken(24),
      expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS),
      ip: clientIp(request),
      userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
    },
  });
  return sessionCookie(request, token, SESSION_LIFETIME_MS / 1000);
}

/** The session (with its user and organization) named by the request's cookie, if valid. */
export async function findSession(db: Db, request: Request) {
  const token = readCookie(request, SESSION_COOKIE);
  if (!token) return null;
  const session = await db.session.findUnique({
    where: { id: sha256Hex(token) },
    include: { user: { include: { organization: true } } },
  });
  if (!session || session.expiresAt <= new Date() || session.user.disabled) return null;
  return session;
}

export type SessionWithUser = NonNullable<Awaited<ReturnType<typeof findSession>>>;

/** Deletes the request's session (if any) and returns the Set-Cookie header that clears the cookie. */
export async function destroySession(db: Db, request: Request): Promise<string> {
  const token = readCookie(request, SESSION_COOKIE);
  if (token) await db.session.deleteMany({ where: { id: sha256Hex(token) } });
  return sessionCookie(request, "", 0);
}

/**
 * The client's address as the socket saw it. server.js passes it in the `x-corvid-client-ip`
 * header, which it always overwrites, so a client cannot spoof it with X-Forwarded-For.
 */
export function clientIp(request: Request): string {
  return request.headers.get("x-corvid-client-ip") ?? "unknown";
}
