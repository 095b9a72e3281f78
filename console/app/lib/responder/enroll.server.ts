import {
  EnrollRequest,
  MAX_JSON_BODY_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  computeCheckinInterval,
  importPublicKey,
  responderIdFromPublicKey,
  type EnrollResponse,
} from "@corvid/protocol";
import { assetFactsData, countActiveAssets, mergeTags, parseJsonArray } from "../assets.server.ts";
import { audit } from "../audit.server.ts";
import { DeploymentTokenRejected, consumeDeploymentToken, findUsableDeploymentToken } from "../deployment-tokens.server.ts";
import { isUniqueViolation } from "./authenticate.server.ts";
import { parseJsonBody, readBodyLimited } from "./body.server.ts";
import type { ResponderContext } from "./context.server.ts";
import { conflict, malformed, unauthorized } from "./errors.server.ts";

/**
 * POST /enroll: a deployment token admits a new key pair. The responder id is recomputed from the key,
 * so nobody can claim another responder's id. Re-enrolling an existing key (e.g. after revocation)
 * updates the same asset. Nothing is written unless the token and key check out.
 */
export async function handleEnroll(ctx: ResponderContext, request: Request): Promise<EnrollResponse> {
  const enroll = parseJsonBody(await readBodyLimited(request, MAX_JSON_BODY_BYTES), EnrollRequest);
  let responderId: string;
  try {
    await importPublicKey(enroll.publicKey);
    responderId = await responderIdFromPublicKey(enroll.publicKey);
  } catch (error) {
    throw error instanceof ProtocolError ? malformed(`publicKey: ${error.message}`) : error;
  }

  const now = new Date(ctx.now());
  const { asset, token, reenrolled } = await admit(ctx, enroll, responderId, now).catch((error: unknown) => {
    throw error instanceof DeploymentTokenRejected ? unauthorized(error.message) : error;
  });

  await audit(ctx.db, {
    organizationId: asset.organizationId,
    actorType: "responder",
    actorId: responderId,
    action: reenrolled ? "responder.reenroll" : "responder.enroll",
    target: asset.id,
    detail: { hostname: asset.hostname, platform: asset.platform, kind: asset.kind, deploymentTokenId: token.id, tokenPrefix: token.prefix },
  });

  const assetCount = await countActiveAssets(ctx.db, asset.organizationId, ctx.now());
  return {
    protocolVersion: PROTOCOL_VERSION,
    responderId,
    organizationId: asset.organizationId,
    checkinIntervalSec: computeCheckinInterval(assetCount),
    ...(ctx.caFingerprint ? { caFingerprint: ctx.caFingerprint } : {}),
  };
}

/**
 * Every check comes first, then one atomic token use, then one upsert of the asset. No interactive
 * transaction: those queue up behind each other on SQLite when a whole fleet enrolls at once.
 */
async function admit(ctx: ResponderContext, enroll: EnrollRequest, responderId: string, now: Date) {
  const token = await findUsableDeploymentToken(ctx.db, enroll.deploymentToken, now);
  const existing = await ctx.db.asset.findUnique({ where: { responderId } });
  if (existing && existing.organizationId !== token.organizationId) {
    throw conflict("this key is enrolled in another organization: generate a new key pair");
  }
  await consumeDeploymentToken(ctx.db, token, now);
  const tags = mergeTags(parseJsonArray(token.tags), enroll.facts.tags ?? [], existing ? parseJsonArray(existing.tags) : []);
  const data = {
    ...assetFactsData(enroll.facts),
    kind: enroll.kind,
    publicKey: enroll.publicKey,
    tags: JSON.stringify(tags),
    lastSeenAt: now,
    revokedAt: null,
    deploymentTokenId: token.id,
  };
  const upsert = () =>
    ctx.db.asset.upsert({
      where: { responderId },
      create: { ...data, organizationId: token.organizationId, responderId, enrolledAt: now },
      update: data,
    });
  // Two enrollments of the same key at the same moment: the loser's insert collides, its update wins.
  const asset = await upsert().catch((error: unknown) => (isUniqueViolation(error) ? upsert() : Promise.reject(error)));
  return { asset, token, reenrolled: existing !== null };
}
