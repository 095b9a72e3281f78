// First start: on an empty database, create the organization and an administrator who logs in
// through a one-time link (valid 24 h) that makes them choose a password.
import type { Db } from "../db.server.ts";
import { audit } from "./audit.server.ts";
import { randomToken, sha256Hex } from "./crypto-box.server.ts";
import { UNUSABLE_PASSWORD_HASH } from "./password.server.ts";

export const ONE_TIME_LOGIN_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ORGANIZATION_SLUG = "default";

/** Creates a one-time login token for the user and returns the token (stored only as its hash). */
export async function createOneTimeLogin(db: Db, userId: string): Promise<string> {
  const token = randomToken();
  await db.oneTimeLogin.create({ data: { userId, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + ONE_TIME_LOGIN_LIFETIME_MS) } });
  return token;
}

export function oneTimeLoginUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/login/one-time?token=${encodeURIComponent(token)}`;
}

export type FirstStartResult =
  | { created: false }
  | { created: true; organizationSlug: string; adminEmail: string; loginUrl: string; expiresAt: Date };

export async function ensureFirstStart(db: Db, { publicUrl, adminEmail }: { publicUrl: string; adminEmail: string }): Promise<FirstStartResult> {
  if ((await db.organization.count()) > 0) return { created: false };
  const organization = await db.organization.create({ data: { name: "Default organization", slug: DEFAULT_ORGANIZATION_SLUG } });
  const admin = await db.user.create({
    data: {
      organizationId: organization.id,
      email: adminEmail.toLowerCase(),
      name: "Administrator",
      role: "admin",
      passwordHash: UNUSABLE_PASSWORD_HASH,
      mustChangePassword: true,
    },
  });
  const token = await createOneTimeLogin(db, admin.id);
  await audit(db, { organizationId: organization.id, actorType: "system", action: "console.first_start", target: `user:${admin.id}`, detail: { organization: organization.slug, admin: admin.email } });
  return {
    created: true,
    organizationSlug: organization.slug,
    adminEmail: admin.email,
    loginUrl: oneTimeLoginUrl(publicUrl, token),
    expiresAt: new Date(Date.now() + ONE_TIME_LOGIN_LIFETIME_MS),
  };
}

/** The text printed to stdout on first start (tests and operators look for the `login link:` line). */
export function firstStartBanner(result: Extract<FirstStartResult, { created: true }>): string {
  const rule = "=".repeat(72);
  return [
    rule,
    `Corvid first start: created organization "${result.organizationSlug}" and administrator ${result.adminEmail}.`,
    "Open this one-time login link to set the administrator's password",
    `(valid until ${result.expiresAt.toISOString()}, usable once):`,
    "",
    `login link: ${result.loginUrl}`,
    "",
    "Lost it? Run: npx corvid user reset-password --email " + result.adminEmail,
    rule,
  ].join("\n");
}
