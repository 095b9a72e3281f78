// Login rate limiting: at most LOGIN_FAILURE_LIMIT failed attempts per email and client IP
// within LOGIN_WINDOW_MS; after that, login answers 429 until the window has passed.
import type { Db } from "../db.server.ts";

export const LOGIN_FAILURE_LIMIT = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

export function loginAttemptKey(email: string, ip: string): string {
  return `${email.trim().toLowerCase()}|${ip}`;
}

export type RateLimitState = { limited: false } | { limited: true; retryAfterSeconds: number };

export async function loginRateLimit(db: Db, key: string, now = new Date()): Promise<RateLimitState> {
  const since = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const failures = await db.loginAttempt.findMany({
    where: { key, success: false, at: { gt: since } },
    orderBy: { at: "asc" },
    select: { at: true },
  });
  if (failures.length < LOGIN_FAILURE_LIMIT) return { limited: false };
  // The window frees up when the oldest failure that still counts gets old enough.
  const oldestCounting = failures[failures.length - LOGIN_FAILURE_LIMIT]!.at;
  return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil((oldestCounting.getTime() + LOGIN_WINDOW_MS - now.getTime()) / 1000)) };
}

export async function recordLoginAttempt(db: Db, key: string, success: boolean): Promise<void> {
  await db.loginAttempt.create({ data: { key, success } });
  if (success) {
    // A successful login clears the failures, and old rows are pruned opportunistically.
    await db.loginAttempt.deleteMany({ where: { OR: [{ key, success: false }, { at: { lt: new Date(Date.now() - LOGIN_WINDOW_MS) } }] } });
  }
}
