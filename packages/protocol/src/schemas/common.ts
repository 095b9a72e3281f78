import { z } from "zod";
import { PROTOCOL_VERSION } from "../constants.ts";

// Responder input is untrusted: every string and array below carries an upper bound.

export const ProtocolVersion = z.literal(PROTOCOL_VERSION);

/** Console-issued identifiers; they appear in URL paths, so the alphabet is URL-safe. */
export const Identifier = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1-64 characters of [A-Za-z0-9_-]");

/** `r_` + lowercase base32 of the first 20 bytes of SHA-256(raw public key). */
export const ResponderId = z.string().regex(/^r_[a-z2-7]{32}$/, "expected r_ + 32 base32 characters");

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits");

/** Raw 32-byte Ed25519 public key as unpadded base64url. */
export const PublicKeyBase64Url = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "expected 32 bytes as base64url");

export const Timestamp = z.iso.datetime({ offset: true });

export const Platform = z.enum(["linux", "windows", "darwin", "chromeos", "browser"]);

export const Text = z.string().max(4096);

/** Dotted artifact names such as `Linux.Sys.Processes`. */
export const ArtifactName = z
  .string()
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/, "expected a dotted name such as Linux.Sys.Processes");

/** snake_case names for columns and parameters. */
export const FieldName = z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, "expected snake_case, at most 64 characters");

export const ScalarValue = z.union([z.string().max(4096), z.number(), z.boolean()]);
/** Values an artifact parameter can take: a scalar or a list of strings. */
export const ParameterValue = z.union([ScalarValue, z.array(z.string().max(4096)).max(256)]);

export const ParameterValues = z
  .record(FieldName, ParameterValue)
  .refine((values) => Object.keys(values).length <= 64, "at most 64 parameters");

export type Platform = z.infer<typeof Platform>;
export type ParameterValue = z.infer<typeof ParameterValue>;
export type ParameterValues = z.infer<typeof ParameterValues>;
