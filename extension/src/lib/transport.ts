import {
  bytesToBase64Url,
  ChunkReceivedResponse,
  CheckinResponse,
  ConsoleAttestationError,
  EnrollResponse,
  ErrorBody,
  HEADER_ATTEST,
  HEADER_CHUNK_SHA256,
  HEADER_CONSOLE_SIGNATURE,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  importPublicKey,
  NONCE_BYTES,
  normalizeCaFingerprint,
  responderPaths,
  sha256Hex,
  signRequest,
  TaskProgressResponse,
  UploadBeginResponse,
  UploadCompleteResponse,
  type CheckinRequest,
  type EnrollRequest,
  type TaskProgress,
  type AttestedConsole,
  type UploadBegin,
  verifyConsoleIdentity,
  verifyResponseSignature,
} from "@corvid/protocol";
import type { z } from "zod";

// All network I/O of the extension: URL policy, signing, console attestation, error mapping. Mirrors
// agent-native/src/transport.ts, except that TLS is Chrome's: fetch cannot pin a CA, so a pinned client checks the
// console at the application layer instead (ADR 006): the console proves it holds the pinned CA before anything,
// the deployment token included, is sent, and every answer must carry the attested console key's signature.

export class ConsoleUrlError extends Error {
  override name = "ConsoleUrlError";
}

/** The console answered with a non-2xx status. */
export class ConsoleHttpError extends Error {
  override name = "ConsoleHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`console answered ${status} ${code}: ${message}`);
  }
}

/** 410: the console no longer knows this responder; it must enroll again. */
export class ReenrollRequiredError extends ConsoleHttpError {
  override name = "ReenrollRequiredError";
  constructor(message: string) {
    super(410, "reenroll", message);
  }
}

/** No answer at all (network down, console unreachable, timeout). */
export class TransportError extends Error {
  override name = "TransportError";
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** HTTPS, or plain HTTP to loopback only; origin only. Returns the origin requests go to. */
export function parseConsoleUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConsoleUrlError(`not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConsoleUrlError(`the console URL must be https:// (got ${url.protocol})`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ConsoleUrlError(`refusing plain http:// to ${url.hostname}: only loopback consoles may be reached without TLS`);
  }
  if (url.pathname !== "/" || url.search || url.hash) throw new ConsoleUrlError("give the console origin only (scheme, host, port), without a path");
  return url.origin;
}

export interface SigningIdentity {
  responderId: string;
  privateKey: CryptoKey;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The policy's CA pin, and the console key an earlier attestation against it yielded. */
export interface AttestationOptions {
  caFingerprint: string;
  /** Cached console key (base64url): saves the identity round trip; replaced when it stops verifying. */
  consoleKey?: string | undefined;
  /** Called when attestation yields a key other than the cached one, so the caller can cache it. */
  onAttested?: (consoleKey: string) => Promise<void> | void;
}

export interface ConsoleClientOptions {
  consoleUrl: string;
  identity?: SigningIdentity;
  /** Set when the policy pins the console CA. */
  attestation?: AttestationOptions | undefined;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** The responder side of the wire contract over fetch, one method per endpoint. */
export class ConsoleClient {
  readonly origin: string;
  readonly #identity: SigningIdentity | undefined;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #attestation: AttestationOptions | undefined;
  /** The console key answers are verified with: attested in this client, or imported from the cache. */
  #console: (AttestedConsole & { fresh: boolean }) | undefined;

  constructor(options: ConsoleClientOptions) {
    this.origin = parseConsoleUrl(options.consoleUrl);
    this.#identity = options.identity;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#attestation = options.attestation && { ...options.attestation, caFingerprint: normalizeCaFingerprint(options.attestation.caFingerprint) };
  }

  /** The attested console key, once a pinned client has one. */
  get consoleKey(): string | undefined {
    return this.#console?.consoleKey;
  }

  /**
   * POST /identity with a fresh nonce: the console must show the pinned CA certificate, the CA's endorsement of its
   * key, and that key's signature over this answer. Throws ConsoleAttestationError saying which check failed.
   */
  async attest(): Promise<string> {
    const attestation = this.#attestation;
    if (!attestation) throw new Error("attest() needs a caFingerprint");
    const nonce = freshNonce();
    const path = responderPaths.identity;
    const response = await this.#send("POST", path, new TextEncoder().encode("{}"), {
      "content-type": "application/json",
      accept: "application/json",
      [HEADER_ATTEST]: "1",
      [HEADER_NONCE]: nonce,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) {
      const error = ErrorBody.safeParse(safeJson(new TextDecoder().decode(body)));
      const reason = error.success ? error.data.error.message : `HTTP ${response.status}`;
      throw new ConsoleAttestationError("unavailable", `${this.origin} cannot prove it holds the pinned CA: ${reason}`);
    }
    const attested = await verifyConsoleIdentity({ pin: attestation.caFingerprint, nonce, status: response.status, body, signature: response.headers.get(HEADER_CONSOLE_SIGNATURE) });
    this.#console = { ...attested, fresh: true };
    if (attested.consoleKey !== attestation.consoleKey) await attestation.onAttested?.(attested.consoleKey);
    return attested.consoleKey;
  }

  enroll(request: EnrollRequest): Promise<EnrollResponse> {
    return this.#json("POST", responderPaths.enroll, request, EnrollResponse, false);
  }

  checkin(request: CheckinRequest): Promise<CheckinResponse> {
    return this.#json("POST", responderPaths.checkin, request, CheckinResponse, true);
  }

  async reportProgress(taskId: string, progress: TaskProgress): Promise<void> {
    await this.#json("POST", responderPaths.taskProgress(taskId), progress, TaskProgressResponse, true);
  }

  beginUpload(begin: UploadBegin): Promise<UploadBeginResponse> {
    return this.#json("POST", responderPaths.uploads, begin, UploadBeginResponse, true);
  }

  async putChunk(uploadId: string, index: number, bytes: Uint8Array): Promise<void> {
    const response = await this.#request("PUT", responderPaths.uploadChunk(uploadId, index), bytes, "application/octet-stream", true, {
      [HEADER_CHUNK_SHA256]: await sha256Hex(bytes),
    });
    const parsed = await parseBody(response, ChunkReceivedResponse, "chunk answer");
    if (parsed.received !== index) throw new ConsoleHttpError(response.status, "malformed", `console acknowledged chunk ${parsed.received}, sent ${index}`);
  }

  completeUpload(uploadId: string): Promise<UploadCompleteResponse> {
    return this.#json("POST", responderPaths.uploadComplete(uploadId), {}, UploadCompleteResponse, true);
  }

  async #json<T>(method: string, path: string, body: unknown, schema: z.ZodType<T>, signed: boolean): Promise<T> {
    const response = await this.#request(method, path, new TextEncoder().encode(JSON.stringify(body)), "application/json", signed);
    return parseBody(response, schema, `${method} ${path} answer`);
  }

  async #request(method: string, path: string, body: Uint8Array, contentType: string, signed: boolean, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { "content-type": contentType, accept: "application/json", ...extra };
    if (signed) {
      if (!this.#identity) throw new Error(`${method} ${path} must be signed but the responder is not enrolled`);
      Object.assign(headers, await signRequest({ method, path, body, keys: this.#identity, responderId: this.#identity.responderId }));
    }
    if (this.#attestation) {
      // Before the first byte of this request (for /enroll: the deployment token) leaves, the console must be the pinned one.
      await this.#attestedConsole();
      headers[HEADER_ATTEST] = "1";
      headers[HEADER_NONCE] ??= freshNonce();
    }
    let response = await this.#send(method, path, body, headers);
    if (this.#attestation) response = await this.#verified(response, `${method} ${path}`, { nonce: headers[HEADER_NONCE]!, requestSignature: headers[HEADER_SIGNATURE] });
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    const error = ErrorBody.safeParse(safeJson(text));
    const code = error.success ? error.data.error.code : "http-error";
    const message = error.success ? error.data.error.message : text.slice(0, 200);
    if (response.status === 410) throw new ReenrollRequiredError(message);
    throw new ConsoleHttpError(response.status, code, message);
  }

  async #send(method: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.#fetch(`${this.origin}${path}`, { method, headers, body: body as BodyInit, signal: AbortSignal.timeout(this.#timeoutMs), credentials: "omit" });
    } catch (error) {
      throw new TransportError(`${method} ${this.origin}${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #attestedConsole(): Promise<AttestedConsole> {
    const cached = this.#attestation?.consoleKey;
    // A cache that no longer imports (damaged storage) is as good as none: attest again.
    const verifyKey = !this.#console && cached ? await importPublicKey(cached).catch(() => undefined) : undefined;
    if (verifyKey && cached) this.#console = { consoleKey: cached, verifyKey, fresh: false };
    if (!this.#console) await this.attest();
    return this.#console!;
  }

  /**
   * Checks the console's signature over status and body for this request, before anything of the answer is used
   * (error answers included). A cached key that fails is attested afresh once: the console may have a new key.
   */
  async #verified(response: Response, what: string, binding: { nonce: string; requestSignature: string | undefined }): Promise<Response> {
    const body = new Uint8Array(await response.arrayBuffer());
    const signature = response.headers.get(HEADER_CONSOLE_SIGNATURE);
    const verifies = async () => verifyResponseSignature({ ...binding, status: response.status, body, consoleKey: (await this.#attestedConsole()).verifyKey, signature });
    let valid = signature !== null && (await verifies());
    if (!valid && signature !== null && !this.#console?.fresh) {
      await this.attest();
      valid = await verifies();
    }
    if (!valid) {
      throw new ConsoleAttestationError(
        signature === null ? "unsigned" : "bad-signature",
        `${what}: the answer (HTTP ${response.status}) ${signature === null ? "carries no console signature" : "is not signed by the attested console key"}; refusing it`,
      );
    }
    return new Response(body.byteLength > 0 ? body : null, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
}

function freshNonce(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function parseBody<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
  const parsed = schema.safeParse(safeJson(await response.text()));
  if (!parsed.success) throw new ConsoleHttpError(response.status, "malformed", `${what} does not match the protocol: ${parsed.error.issues[0]?.message ?? "not JSON"}`);
  return parsed.data;
}
