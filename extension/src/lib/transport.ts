import {
  ChunkReceivedResponse,
  CheckinResponse,
  EnrollResponse,
  ErrorBody,
  HEADER_CHUNK_SHA256,
  responderPaths,
  sha256Hex,
  signRequest,
  TaskProgressResponse,
  UploadBeginResponse,
  UploadCompleteResponse,
  type CheckinRequest,
  type EnrollRequest,
  type TaskProgress,
  type UploadBegin,
} from "@corvid/protocol";
import type { z } from "zod";

// All network I/O of the extension: URL policy, signing, error mapping. Mirrors agent-native/src/transport.ts,
// except that TLS is Chrome's: fetch cannot pin a CA, so the admin deploys the console CA by policy.

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

export interface ConsoleClientOptions {
  consoleUrl: string;
  identity?: SigningIdentity;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** The responder side of the wire contract over fetch, one method per endpoint. */
export class ConsoleClient {
  readonly origin: string;
  readonly #identity: SigningIdentity | undefined;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(options: ConsoleClientOptions) {
    this.origin = parseConsoleUrl(options.consoleUrl);
    this.#identity = options.identity;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 60_000;
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
    let response: Response;
    try {
      response = await this.#fetch(`${this.origin}${path}`, { method, headers, body: body as BodyInit, signal: AbortSignal.timeout(this.#timeoutMs), credentials: "omit" });
    } catch (error) {
      throw new TransportError(`${method} ${this.origin}${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    const error = ErrorBody.safeParse(safeJson(text));
    const code = error.success ? error.data.error.code : "http-error";
    const message = error.success ? error.data.error.message : text.slice(0, 200);
    if (response.status === 410) throw new ReenrollRequiredError(message);
    throw new ConsoleHttpError(response.status, code, message);
  }
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
