import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  HEADER_ATTEST,
  HEADER_CONSOLE_SIGNATURE,
  MAX_JSON_BODY_BYTES,
  PROTOCOL_VERSION,
  bytesToBase64Url,
  caFingerprintFromDer,
  endorseConsoleKey,
  exportResponderKeys,
  generateResponderKeys,
  importCaCertificateKey,
  importResponderKeys,
  responseBinding,
  signResponse,
  verifyEndorsement,
  type ConsoleIdentity,
  type ResponderKeys,
} from "@corvid/protocol";
import { readBodyLimited } from "./body.server.ts";
import type { ResponderContext } from "./context.server.ts";
import { malformed, notFound } from "./errors.server.ts";

// Console attestation (ADR 006): the console CA endorses an Ed25519 key once per process; that key signs the
// identity answer and every response a pinned responder asks to have signed.

/** The response-signing key, next to the CA it is endorsed by. */
export const CONSOLE_KEY_FILE = "console-signing-key.json";

export interface ConsoleIdentityKeys {
  /** The answer of POST /identity; the same for every request of this process. */
  identity: ConsoleIdentity;
  privateKey: CryptoKey;
  /** SHA-256 of the CA certificate's DER: what pinned responders carry. */
  caFingerprint: string;
}

async function loadOrCreateConsoleKey(file: string): Promise<ResponderKeys> {
  try {
    // "wx": of several console processes starting at once, exactly one writes the key and the others read it.
    const keys = await generateResponderKeys();
    await writeFile(file, JSON.stringify(await exportResponderKeys(keys)), { flag: "wx", mode: 0o600 });
    return keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return importResponderKeys(JSON.parse(await readFile(file, "utf8")));
  }
}

/**
 * The identity from `<tlsDir>/ca.crt` and `ca.key` (written by server.js), or undefined when the console has no CA.
 * Throws when the files exist but cannot be used (not P-256, key not the certificate's), so the operator hears of it.
 */
export async function loadConsoleIdentity(tlsDir: string): Promise<ConsoleIdentityKeys | undefined> {
  const certFile = path.join(tlsDir, "ca.crt");
  const keyFile = path.join(tlsDir, "ca.key");
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  const der = new Uint8Array(new X509Certificate(await readFile(certFile)).raw);
  const pkcs8 = createPrivateKey(await readFile(keyFile)).export({ format: "der", type: "pkcs8" });
  let caKey: CryptoKey;
  try {
    caKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  } catch {
    throw new Error(`${keyFile} is not an EC P-256 key: console attestation needs the P-256 CA server.js creates`);
  }
  const keys = await loadOrCreateConsoleKey(path.join(tlsDir, CONSOLE_KEY_FILE));
  const consoleKey = bytesToBase64Url(keys.publicKeyRaw);
  const endorsement = await endorseConsoleKey(caKey, consoleKey);
  // The same check a responder makes, so a mismatched ca.key fails here rather than on every device.
  if (!(await verifyEndorsement(await importCaCertificateKey(der), consoleKey, endorsement))) {
    throw new Error(`${keyFile} does not belong to ${certFile}`);
  }
  return {
    identity: { protocolVersion: PROTOCOL_VERSION, caCertificate: bytesToBase64Url(der), consoleKey, endorsement },
    privateKey: keys.privateKey,
    caFingerprint: await caFingerprintFromDer(der),
  };
}

/** POST /identity: the attestation material, signed for the caller's nonce by signIfAsked. */
export async function handleIdentity(ctx: ResponderContext, request: Request): Promise<ConsoleIdentity> {
  await readBodyLimited(request, MAX_JSON_BODY_BYTES);
  if (!ctx.identity) {
    throw notFound(
      "this console has no CA to attest with (it serves plain HTTP without <data>/tls/ca.crt): remove caFingerprint from the responder's policy, or start the console with CORVID_TLS=1 or CORVID_BEHIND_TLS_PROXY=1 so it creates one",
    );
  }
  if (!request.headers.has(HEADER_ATTEST) || !responseBinding(request.headers)) {
    throw malformed("ask with x-corvid-attest: 1 and a fresh x-corvid-nonce (16 random bytes, base64url)");
  }
  return ctx.identity.identity;
}

/**
 * Signs the response when the request asked for it (x-corvid-attest) and carries a usable binding; otherwise it goes
 * out unchanged and a pinned responder refuses it. Unpinned responders never ask, so they cost nothing here.
 */
export async function signIfAsked(identity: ConsoleIdentityKeys | undefined, request: Request, response: Response): Promise<Response> {
  if (!identity || !request.headers.has(HEADER_ATTEST)) return response;
  const binding = responseBinding(request.headers);
  if (!binding) return response;
  const body = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  headers.set(HEADER_CONSOLE_SIGNATURE, await signResponse({ ...binding, status: response.status, body, privateKey: identity.privateKey }));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
