import { z } from "zod";
import { ProtocolVersion, PublicKeyBase64Url } from "./common.ts";

/**
 * POST /identity → the console's attestation material. The answer is signed like every attested response
 * (header `x-corvid-console-signature`, bound to the request's `x-corvid-nonce`) with `consoleKey`.
 */
export const ConsoleIdentity = z.object({
  protocolVersion: ProtocolVersion,
  /** The console CA certificate, DER as unpadded base64url; its SHA-256 is what responders pin. */
  caCertificate: z.string().regex(/^[A-Za-z0-9_-]{1,11000}$/, "expected a DER certificate of at most 8 KiB as base64url"),
  /** The console's Ed25519 response-signing key (raw 32 bytes, base64url). */
  consoleKey: PublicKeyBase64Url,
  /** ECDSA P-256/SHA-256 signature (IEEE P1363 r‖s, base64url) by the CA key over `endorsementMessage(consoleKey)`. */
  endorsement: z.string().regex(/^[A-Za-z0-9_-]{86}$/, "expected a 64-byte P1363 ECDSA signature as base64url"),
});

export type ConsoleIdentity = z.infer<typeof ConsoleIdentity>;
