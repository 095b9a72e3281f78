import { DEPLOYMENT_TOKEN_PREFIX, generateDeploymentToken, hashDeploymentToken } from "@corvid/protocol";
import type { Db } from "../db.server.ts";
import { audit } from "./audit.server.ts";

/** Who performs an administrative action: a signed-in user, or the CLI (`system`). */
export type Actor = { type: "user"; userId: string } | { type: "system" };

export interface NewDeploymentToken {
  organizationId: string;
  name: string;
  expiresAt: Date | null;
  maxUses: number | null;
  tags: string[];
  actor: Actor;
}

/** Characters shown in the UI so an admin can tell tokens apart without the secret. */
const DISPLAY_PREFIX_LENGTH = DEPLOYMENT_TOKEN_PREFIX.length + 6;

export async function createDeploymentToken(db: Db, input: NewDeploymentToken) {
  const token = generateDeploymentToken();
  const record = await db.deploymentToken.create({
    data: {
      organizationId: input.organizationId,
      name: input.name,
      // Only the hash is stored: a database leak does not leak usable tokens.
      tokenHash: await hashDeploymentToken(token),
      prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
      expiresAt: input.expiresAt,
      maxUses: input.maxUses,
      tags: JSON.stringify(input.tags),
      createdById: input.actor.type === "user" ? input.actor.userId : null,
    },
  });
  await audit(db, {
    organizationId: input.organizationId,
    actorType: input.actor.type,
    actorId: input.actor.type === "user" ? input.actor.userId : null,
    action: "deployment_token.create",
    target: record.id,
    detail: { name: record.name, prefix: record.prefix, expiresAt: record.expiresAt?.toISOString() ?? null, maxUses: record.maxUses, tags: input.tags },
  });
  return { token, record };
}

export type DeploymentTokenState = "active" | "revoked" | "expired" | "used up";

export function deploymentTokenState(
  token: { revokedAt: Date | null; expiresAt: Date | null; maxUses: number | null; uses: number },
  now = new Date(),
): DeploymentTokenState {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return "expired";
  if (token.maxUses !== null && token.uses >= token.maxUses) return "used up";
  return "active";
}

export async function listDeploymentTokens(db: Db, organizationId: string) {
  return db.deploymentToken.findMany({
    where: { organizationId },
    orderBy: { createdAt: "desc" },
    include: { createdBy: { select: { email: true } }, _count: { select: { assets: true } } },
  });
}

/** Revokes a token of the caller's organization; `false` when there is no such token. */
export async function revokeDeploymentToken(db: Db, organizationId: string, tokenId: string, actor: Actor): Promise<boolean> {
  const { count } = await db.deploymentToken.updateMany({
    where: { id: tokenId, organizationId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) return false;
  await audit(db, {
    organizationId,
    actorType: actor.type,
    actorId: actor.type === "user" ? actor.userId : null,
    action: "deployment_token.revoke",
    target: tokenId,
    detail: {},
  });
  return true;
}

export class DeploymentTokenRejected extends Error {
  constructor(readonly reason: "unknown" | Exclude<DeploymentTokenState, "active">) {
    super(reason === "unknown" ? "unknown deployment token" : `deployment token is ${reason}`);
    this.name = "DeploymentTokenRejected";
  }
}

/** The active token record for a presented token, or a DeploymentTokenRejected saying why not. */
export async function findUsableDeploymentToken(db: Db, token: string, now = new Date()) {
  const record = await db.deploymentToken.findUnique({ where: { tokenHash: await hashDeploymentToken(token) } });
  if (!record) throw new DeploymentTokenRejected("unknown");
  const state = deploymentTokenState(record, now);
  if (state !== "active") throw new DeploymentTokenRejected(state);
  return record;
}

/**
 * Counts one use, atomically: the UPDATE only matches while the token is unrevoked, unexpired and below
 * its limit, so two enrollments racing for the last use cannot both win, and unlimited tokens never conflict.
 */
export async function consumeDeploymentToken(db: Db, record: { id: string; maxUses: number | null }, now = new Date()): Promise<void> {
  const { count } = await db.deploymentToken.updateMany({
    where: {
      id: record.id,
      revokedAt: null,
      OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
      ...(record.maxUses !== null ? { uses: { lt: record.maxUses } } : {}),
    },
    data: { uses: { increment: 1 } },
  });
  if (count === 0) {
    const current = await db.deploymentToken.findUniqueOrThrow({ where: { id: record.id } });
    const state = deploymentTokenState(current, now);
    throw new DeploymentTokenRejected(state === "active" ? "used up" : state);
  }
}
