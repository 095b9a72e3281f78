// User administration shared by the Users page and the `corvid` CLI. Every function is scoped to
// one organization and writes one audit entry; the actor is a user (web) or "system" (CLI).
import type { Db } from "../db.server.ts";
import { audit } from "./audit.server.ts";
import { type Role, isRole } from "./auth-roles.ts";
import { generateOneTimePassword, hashPassword } from "./password.server.ts";

export type AdminActor = { type: "user"; userId: string } | { type: "system" };

export class UserAdminError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

function actorFields(actor: AdminActor) {
  return { actorType: actor.type, actorId: actor.type === "user" ? actor.userId : null } as const;
}

async function userInOrganization(db: Db, organizationId: string, userId: string) {
  const user = await db.user.findFirst({ where: { id: userId, organizationId } });
  if (!user) throw new UserAdminError("No such user in this organization.", 404);
  return user;
}

/** Creates a user with a one-time password (returned once; they must change it at first login). */
export async function createUser(db: Db, input: { organizationId: string; email: string; name?: string; role: string; actor: AdminActor }) {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email) || email.length > 320) throw new UserAdminError(`Not an email address: ${JSON.stringify(input.email)}`);
  if (!isRole(input.role)) throw new UserAdminError(`Role must be admin, analyst or viewer, not ${JSON.stringify(input.role)}`);
  if (await db.user.findUnique({ where: { email } })) throw new UserAdminError(`A user with the email ${email} already exists.`, 409);
  const oneTimePassword = generateOneTimePassword();
  const user = await db.user.create({
    data: {
      organizationId: input.organizationId,
      email,
      name: (input.name ?? "").trim().slice(0, 200),
      role: input.role,
      passwordHash: await hashPassword(oneTimePassword),
      mustChangePassword: true,
    },
  });
  await audit(db, { organizationId: input.organizationId, ...actorFields(input.actor), action: "user.create", target: `user:${user.id}`, detail: { email, role: input.role } });
  return { user, oneTimePassword };
}

/** Replaces the password with a one-time password (returned once) and ends the user's sessions. */
export async function resetPassword(db: Db, input: { organizationId: string; userId: string; actor: AdminActor }) {
  const user = await userInOrganization(db, input.organizationId, input.userId);
  const oneTimePassword = generateOneTimePassword();
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(oneTimePassword), mustChangePassword: true } });
  await db.session.deleteMany({ where: { userId: user.id } });
  await audit(db, { organizationId: input.organizationId, ...actorFields(input.actor), action: "user.password_reset", target: `user:${user.id}`, detail: { email: user.email } });
  return { user, oneTimePassword };
}

export async function setRole(db: Db, input: { organizationId: string; userId: string; role: string; actor: AdminActor }) {
  if (!isRole(input.role)) throw new UserAdminError(`Role must be admin, analyst or viewer, not ${JSON.stringify(input.role)}`);
  const user = await userInOrganization(db, input.organizationId, input.userId);
  if (input.actor.type === "user" && input.actor.userId === user.id && input.role !== "admin") {
    throw new UserAdminError("You cannot remove your own admin role; ask another administrator.");
  }
  await db.user.update({ where: { id: user.id }, data: { role: input.role satisfies Role } });
  await audit(db, { organizationId: input.organizationId, ...actorFields(input.actor), action: "user.role_change", target: `user:${user.id}`, detail: { email: user.email, from: user.role, to: input.role } });
}

export async function setDisabled(db: Db, input: { organizationId: string; userId: string; disabled: boolean; actor: AdminActor }) {
  const user = await userInOrganization(db, input.organizationId, input.userId);
  if (input.actor.type === "user" && input.actor.userId === user.id) throw new UserAdminError("You cannot disable your own account.");
  await db.user.update({ where: { id: user.id }, data: { disabled: input.disabled } });
  if (input.disabled) await db.session.deleteMany({ where: { userId: user.id } });
  await audit(db, { organizationId: input.organizationId, ...actorFields(input.actor), action: input.disabled ? "user.disable" : "user.enable", target: `user:${user.id}`, detail: { email: user.email } });
}

/** Turns two-factor authentication off for a user who lost their authenticator. */
export async function resetTwoFactor(db: Db, input: { organizationId: string; userId: string; actor: AdminActor }) {
  const user = await userInOrganization(db, input.organizationId, input.userId);
  await db.user.update({ where: { id: user.id }, data: { totpEnabled: false, totpSecretEnc: null } });
  await db.session.deleteMany({ where: { userId: user.id } });
  await audit(db, { organizationId: input.organizationId, ...actorFields(input.actor), action: "user.2fa_reset", target: `user:${user.id}`, detail: { email: user.email } });
}
