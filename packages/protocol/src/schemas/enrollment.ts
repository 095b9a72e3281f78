import { z } from "zod";
import { AssetFacts } from "./asset.ts";
import { Identifier, ProtocolVersion, PublicKeyBase64Url, ResponderId, Sha256Hex } from "./common.ts";

export const DeploymentToken = z.string().regex(/^cvd_dt_[a-z2-7]{52}$/, "expected a cvd_dt_ deployment token");

export const ResponderKind = z.enum(["native", "browser"]);

/** POST /enroll (unsigned: the deployment token authorizes it). */
export const EnrollRequest = z.object({
  protocolVersion: ProtocolVersion,
  deploymentToken: DeploymentToken,
  publicKey: PublicKeyBase64Url,
  kind: ResponderKind,
  facts: AssetFacts,
});

export const EnrollResponse = z.object({
  protocolVersion: ProtocolVersion,
  responderId: ResponderId,
  organizationId: Identifier,
  checkinIntervalSec: z.int().min(1).max(86_400),
  /** SHA-256 (hex) of the console CA certificate's DER; present when the console serves HTTPS with its own CA. */
  caFingerprint: Sha256Hex.optional(),
});

export type ResponderKind = z.infer<typeof ResponderKind>;
export type EnrollRequest = z.infer<typeof EnrollRequest>;
export type EnrollResponse = z.infer<typeof EnrollResponse>;
