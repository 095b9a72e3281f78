import { DEPLOYMENT_TOKEN_PREFIX } from "../constants.ts";
import { bytesToBase32, randomBytes } from "./encoding.ts";
import { sha256Hex } from "./hash.ts";

const DEPLOYMENT_TOKEN_RANDOM_BYTES = 32;
const DEPLOYMENT_TOKEN_PATTERN = /^cvd_dt_[a-z2-7]{52}$/;

/** A fresh deployment token: `cvd_dt_` + 256 random bits in lowercase base32 (shell- and copy-safe). */
export function generateDeploymentToken(): string {
  return DEPLOYMENT_TOKEN_PREFIX + bytesToBase32(randomBytes(DEPLOYMENT_TOKEN_RANDOM_BYTES));
}

export function isDeploymentToken(value: string): boolean {
  return DEPLOYMENT_TOKEN_PATTERN.test(value);
}

/**
 * What the console stores instead of the token. The token carries 256 random bits, so a plain
 * SHA-256 is enough: there is nothing to brute-force that a slow hash would protect.
 */
export function hashDeploymentToken(token: string): Promise<string> {
  return sha256Hex(token);
}
