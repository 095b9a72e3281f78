import { createHash, X509Certificate } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import tls, { type DetailedPeerCertificate, type PeerCertificate } from "node:tls";
import {
  ChunkReceivedResponse,
  CheckinResponse,
  EnrollResponse,
  ErrorBody,
  HEADER_CHUNK_SHA256,
  UploadBeginResponse,
  UploadCompleteResponse,
  TaskProgressResponse,
  responderPaths,
  signRequest,
  type CheckinRequest,
  type EnrollRequest,
  type ResponderKeys,
  type TaskProgress,
  type UploadBegin,
} from "@corvid/protocol";
import type { z } from "zod";

// All network I/O of the agent goes through this module: URL policy, CA pinning, signing, error mapping.

/** The console URL is unusable (plain HTTP off loopback, a path, a bad scheme). */
export class ConsoleUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConsoleUrlError";
  }
}

/** The TLS peer did not present the pinned CA, or failed validation against it. */
export class CaPinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaPinError";
  }
}

/** The console answered with a non-2xx status. */
export class ConsoleHttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(`console answered ${status} ${code}: ${message}`);
    this.name = "ConsoleHttpError";
    this.status = status;
    this.code = code;
  }
}

/** 410: the console no longer knows this responder (unknown or revoked); it must enroll again. */
export class ReenrollRequiredError extends ConsoleHttpError {
  constructor(message: string) {
    super(410, "reenroll", message);
    this.name = "ReenrollRequiredError";
  }
}

/** The request never got an answer (connection refused, reset, timeout). */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
  }
}

const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost"]);

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (LOOPBACK_NAMES.has(bare)) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1";
}

/** Checks the console URL policy and returns the origin requests are sent to. */
export function parseConsoleUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConsoleUrlError(`not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConsoleUrlError(`the console URL must be https:// (got ${url.protocol})`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ConsoleUrlError(`refusing plain http:// to ${url.hostname}: only loopback consoles may be reached without TLS; use https://`);
  }
  if (url.pathname !== "/" || url.search || url.hash) throw new ConsoleUrlError("give the console origin only (scheme, host, port), without a path");
  return new URL(url.origin);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The certificates the peer sent, leaf first, stopping at a self-signed one. */
function peerChain(leaf: DetailedPeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current?.raw && !chain.includes(current)) {
    chain.push(current);
    if (current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * Connects once without validation to fetch the certificate whose DER SHA-256 is the pinned fingerprint
 * (the console's CA, or a self-signed console certificate). Every later request validates against
 * that certificate alone, so the fingerprint, not the system trust store, decides whom the agent trusts.
 */
export async function fetchPinnedCaPem(consoleUrl: URL, fingerprint: string, timeoutMs = 15_000): Promise<string> {
  if (consoleUrl.protocol !== "https:") throw new ConsoleUrlError("a CA fingerprint only applies to https:// consoles");
  return new Promise<string>((resolve, reject) => {
    const socket = tls.connect({
      host: consoleUrl.hostname.replace(/^\[|\]$/g, ""),
      port: Number(consoleUrl.port || 443),
      ...(isIP(consoleUrl.hostname) ? {} : { servername: consoleUrl.hostname }),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once("timeout", () => socket.destroy(new TransportError(`TLS handshake with ${consoleUrl.host} timed out`)));
    socket.once("error", (error) => reject(error instanceof TransportError ? error : new TransportError(`cannot reach ${consoleUrl.host}: ${error.message}`, { cause: error })));
    socket.once("secureConnect", () => {
      const chain = peerChain(socket.getPeerCertificate(true));
      socket.end();
      const pinned = chain.find((certificate) => sha256Hex(certificate.raw) === fingerprint);
      if (!pinned) {
        reject(
          new CaPinError(
            `${consoleUrl.host} did not present a certificate with SHA-256 fingerprint ${fingerprint} ` +
              `(it sent ${chain.map((c) => sha256Hex(c.raw)).join(", ") || "none"}); if the console sends only its own ` +
              "certificate, give its CA certificate with --ca-file",
          ),
        );
        return;
      }
      resolve(new X509Certificate(pinned.raw).toString());
    });
  });
}

export interface ResponderIdentity {
  responderId: string;
  keys: Pick<ResponderKeys, "privateKey">;
}

export interface ConsoleClientOptions {
  consoleUrl: string;
  /** PEM of the pinned CA (from fetchPinnedCaPem); requests then trust only it. */
  caPem?: string;
  caFingerprint?: string;
  identity?: ResponderIdentity;
  /** Socket idle timeout; must exceed the console's long-poll hold. */
  timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

interface RawResponse {
  status: number;
  body: Buffer;
}

/** The responder side of the wire contract, one method per endpoint. */
export class ConsoleClient {
  readonly origin: URL;
  #identity: ResponderIdentity | undefined;
  readonly #agent: http.Agent;
  readonly #timeoutMs: number;
  readonly #caFingerprint: string | undefined;

  constructor(options: ConsoleClientOptions) {
    this.origin = parseConsoleUrl(options.consoleUrl);
    this.#identity = options.identity;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#caFingerprint = options.caFingerprint;
    if (this.origin.protocol === "https:") {
      const pinned = options.caPem !== undefined;
      this.#agent = new https.Agent({
        keepAlive: true,
        ...(pinned ? { ca: options.caPem } : {}),
        checkServerIdentity: (host, certificate) => this.#checkServer(host, certificate),
      });
    } else {
      this.#agent = new http.Agent({ keepAlive: true });
    }
  }

  setIdentity(identity: ResponderIdentity): void {
    this.#identity = identity;
  }

  close(): void {
    this.#agent.destroy();
  }

  #checkServer(host: string, certificate: PeerCertificate): Error | undefined {
    const hostError = tls.checkServerIdentity(host, certificate);
    if (hostError || this.#caFingerprint === undefined) return hostError;
    const chain = peerChain(certificate as DetailedPeerCertificate);
    if (!chain.some((member) => sha256Hex(member.raw) === this.#caFingerprint)) {
      return new CaPinError(`the console's certificate chain does not contain the pinned CA ${this.#caFingerprint}`);
    }
    return undefined;
  }

  enroll(request: EnrollRequest, signal?: AbortSignal): Promise<EnrollResponse> {
    return this.#json("POST", responderPaths.enroll, request, EnrollResponse, { signed: false, signal });
  }

  checkin(request: CheckinRequest, options: { wait: boolean; signal?: AbortSignal }): Promise<CheckinResponse> {
    return this.#json("POST", options.wait ? responderPaths.checkinWait : responderPaths.checkin, request, CheckinResponse, {
      signed: true,
      signal: options.signal,
    });
  }

  async reportProgress(taskId: string, progress: TaskProgress, signal?: AbortSignal): Promise<void> {
    await this.#json("POST", responderPaths.taskProgress(taskId), progress, TaskProgressResponse, { signed: true, signal });
  }

  beginUpload(begin: UploadBegin, signal?: AbortSignal): Promise<UploadBeginResponse> {
    return this.#json("POST", responderPaths.uploads, begin, UploadBeginResponse, { signed: true, signal });
  }

  async putChunk(uploadId: string, index: number, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const response = await this.#request("PUT", responderPaths.uploadChunk(uploadId, index), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      signed: true,
      contentType: "application/octet-stream",
      headers: { [HEADER_CHUNK_SHA256]: sha256Hex(bytes) },
      signal,
    });
    const parsed = parseBody(response, ChunkReceivedResponse, "chunk answer");
    if (parsed.received !== index) throw new ConsoleHttpError(response.status, "malformed", `console acknowledged chunk ${parsed.received}, sent ${index}`);
  }

  completeUpload(uploadId: string, signal?: AbortSignal): Promise<UploadCompleteResponse> {
    return this.#json("POST", responderPaths.uploadComplete(uploadId), {}, UploadCompleteResponse, { signed: true, signal });
  }

  async #json<T>(
    method: string,
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    options: { signed: boolean; signal: AbortSignal | undefined },
  ): Promise<T> {
    const response = await this.#request(method, path, Buffer.from(JSON.stringify(body)), {
      signed: options.signed,
      contentType: "application/json",
      signal: options.signal,
    });
    return parseBody(response, schema, `${method} ${path} answer`);
  }

  async #request(
    method: string,
    path: string,
    body: Buffer,
    options: { signed: boolean; contentType: string; headers?: Record<string, string>; signal: AbortSignal | undefined },
  ): Promise<RawResponse> {
    const headers: Record<string, string> = {
      "content-type": options.contentType,
      "content-length": String(body.length),
      accept: "application/json",
      ...options.headers,
    };
    if (options.signed) {
      if (!this.#identity) throw new Error(`${method} ${path} must be signed but the agent has no identity yet`);
      // A plain Uint8Array copy: Node Buffers may be views into a shared pool, and the protocol's hashing
      // copies with .slice(), which on a Buffer returns a view of the whole pool.
      Object.assign(headers, await signRequest({ method, path, body: new Uint8Array(body), keys: this.#identity.keys, responderId: this.#identity.responderId }));
    }
    const response = await this.#send(method, path, headers, body, options.signal);
    if (response.status >= 200 && response.status < 300) return response;
    const error = ErrorBody.safeParse(safeJson(response.body));
    const code = error.success ? error.data.error.code : "http-error";
    const message = error.success ? error.data.error.message : response.body.toString("utf8").slice(0, 200);
    if (response.status === 410) throw new ReenrollRequiredError(message);
    throw new ConsoleHttpError(response.status, code, message);
  }

  #send(method: string, path: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal | undefined): Promise<RawResponse> {
    const transport = this.origin.protocol === "https:" ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      const request = transport.request(
        new URL(path, this.origin),
        { method, headers, agent: this.#agent, timeout: this.#timeoutMs, ...(signal ? { signal } : {}) },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              request.destroy(new TransportError(`${method} ${path}: answer larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
          response.on("error", (error) => reject(new TransportError(`${method} ${path}: ${error.message}`, { cause: error })));
        },
      );
      request.on("timeout", () => request.destroy(new TransportError(`${method} ${path}: no answer within ${this.#timeoutMs} ms`)));
      request.on("error", (error) => {
        if (error.name === "AbortError" || error instanceof TransportError || error instanceof CaPinError) reject(error);
        else reject(new TransportError(`${method} ${this.origin.host}${path}: ${error.message}`, { cause: error }));
      });
      request.end(body);
    });
  }
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

function parseBody<T>(response: RawResponse, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(safeJson(response.body));
  if (!parsed.success) throw new ConsoleHttpError(response.status, "malformed", `${what} does not match the protocol: ${parsed.error.issues[0]?.message ?? "not JSON"}`);
  return parsed.data;
}
