import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import {
  CheckinRequest,
  EnrollRequest,
  ERROR_STATUS,
  errorBody,
  generateDeploymentToken,
  HEADER_CHUNK_SHA256,
  InMemoryNonceStore,
  RESPONDER_API_BASE,
  responderIdFromPublicKey,
  TaskProgress,
  UploadBegin,
  verifyRequest,
  type ErrorCode,
  type TaskAssignment,
} from "@corvid/protocol";
import { ZodError, type z } from "zod";

export interface StoredUpload {
  uploadId: string;
  begin: UploadBegin;
  /** The console decides the chunk size; small here so tests see several chunks. */
  chunkSize: number;
  chunks: Map<number, Buffer>;
  completedSha256?: string;
}

type ChunkHook = (upload: StoredUpload, index: number, response: http.ServerResponse, request: http.IncomingMessage) => boolean;

/**
 * A small but real implementation of the console's responder API for agent tests: it parses every body
 * with the protocol schemas, verifies Ed25519 signatures, timestamps and nonces with @corvid/protocol,
 * and keeps uploads in memory. It is not a mock of fetch: the agent talks to it over real sockets.
 */
export class TestConsole {
  readonly token = generateDeploymentToken();
  readonly responders = new Map<string, { publicKey: string; revoked: boolean }>();
  readonly pendingTasks: TaskAssignment[] = [];
  readonly cancelTaskIds: string[] = [];
  readonly progress: Array<{ taskId: string; body: TaskProgress }> = [];
  readonly uploads = new Map<string, StoredUpload>();
  readonly checkins: CheckinRequest[] = [];
  readonly rejections: Array<{ path: string; reason: string }> = [];
  readonly cancelledTasks = new Set<string>();
  nextCheckinSec = 1;
  chunkSize: number;
  caFingerprint: string | undefined;
  onChunk: ChunkHook | undefined;
  readonly #nonces = new InMemoryNonceStore();
  readonly #server: http.Server;
  #uploadCounter = 0;

  constructor(options: { tls?: { key: string; cert: string }; chunkSize?: number } = {}) {
    this.chunkSize = options.chunkSize ?? 64 * 1024;
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.#handle(request, response).catch((error: unknown) =>
        this.#fail(response, error instanceof ZodError || error instanceof SyntaxError ? "malformed" : "internal", String(error)),
      );
    };
    this.#server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  }

  async start(host = "127.0.0.1"): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, host, resolve));
    const { port } = this.#server.address() as AddressInfo;
    const scheme = this.#server instanceof https.Server ? "https" : "http";
    return `${scheme}://${host === "127.0.0.1" ? "127.0.0.1" : host}:${port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Evidence bytes of one completed upload, reassembled from its chunks. */
  assembled(upload: StoredUpload): Buffer {
    const count = Math.ceil(upload.begin.size / upload.chunkSize);
    return Buffer.concat(Array.from({ length: count }, (_, index) => upload.chunks.get(index) ?? Buffer.alloc(0)));
  }

  completedUploads(): StoredUpload[] {
    return [...this.uploads.values()].filter((upload) => upload.completedSha256 !== undefined);
  }

  #fail(response: http.ServerResponse, code: ErrorCode, message: string): void {
    if (response.headersSent) return;
    response.writeHead(ERROR_STATUS[code], { "content-type": "application/json" });
    response.end(JSON.stringify(errorBody(code, message)));
  }

  #send(response: http.ServerResponse, body: unknown): void {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const pathWithQuery = request.url ?? "/";
    const path = pathWithQuery.split("?")[0]!;
    if (!path.startsWith(RESPONDER_API_BASE)) return this.#fail(response, "not-found", path);
    const route = path.slice(RESPONDER_API_BASE.length);
    if (request.method === "POST" && route === "/enroll") return this.#enroll(body, response);

    const responderId = String(request.headers["x-corvid-responder"] ?? "");
    const responder = this.responders.get(responderId);
    if (!responder || responder.revoked) return this.#fail(response, "reenroll", "unknown or revoked responder");
    const verdict = await verifyRequest({
      method: request.method ?? "GET",
      path: pathWithQuery,
      headers: request.headers,
      body: new Uint8Array(body),
      publicKey: responder.publicKey,
      expectedResponderId: responderId,
      now: Date.now(),
      nonceStore: this.#nonces,
    });
    if (!verdict.ok) {
      this.rejections.push({ path: pathWithQuery, reason: verdict.reason });
      return this.#fail(response, "unauthorized", verdict.reason);
    }

    if (request.method === "POST" && route === "/checkin") {
      const checkin = parse(CheckinRequest, body);
      this.checkins.push(checkin);
      const tasks = this.pendingTasks.splice(0);
      const cancelTaskIds = this.cancelTaskIds.splice(0);
      return this.#send(response, { status: "ok", nextCheckinSec: this.nextCheckinSec, tasks, cancelTaskIds });
    }
    const progressMatch = /^\/tasks\/([^/]+)\/progress$/.exec(route);
    if (request.method === "POST" && progressMatch) {
      const taskId = decodeURIComponent(progressMatch[1]!);
      if (this.cancelledTasks.has(taskId)) return this.#fail(response, "conflict", "task cancelled");
      this.progress.push({ taskId, body: parse(TaskProgress, body) });
      return this.#send(response, { ok: true });
    }
    if (request.method === "POST" && route === "/uploads") {
      const begin = parse(UploadBegin, body);
      const existing = [...this.uploads.values()].find(
        (upload) => upload.begin.taskId === begin.taskId && upload.begin.artifact === begin.artifact && upload.begin.name === begin.name && upload.begin.sha256 === begin.sha256,
      );
      const upload = existing ?? { uploadId: `u${++this.#uploadCounter}`, begin, chunkSize: this.chunkSize, chunks: new Map<number, Buffer>() };
      this.uploads.set(upload.uploadId, upload);
      return this.#send(response, { uploadId: upload.uploadId, chunkSize: upload.chunkSize, receivedChunks: [...upload.chunks.keys()].sort((a, b) => a - b) });
    }
    const chunkMatch = /^\/uploads\/([^/]+)\/chunks\/(\d+)$/.exec(route);
    if (request.method === "PUT" && chunkMatch) {
      const upload = this.uploads.get(chunkMatch[1]!);
      if (!upload) return this.#fail(response, "not-found", "no such upload");
      const index = Number(chunkMatch[2]);
      if (this.onChunk?.(upload, index, response, request)) return;
      if (createHash("sha256").update(body).digest("hex") !== request.headers[HEADER_CHUNK_SHA256]) return this.#fail(response, "malformed", "chunk hash mismatch");
      upload.chunks.set(index, body);
      return this.#send(response, { received: index });
    }
    const completeMatch = /^\/uploads\/([^/]+)\/complete$/.exec(route);
    if (request.method === "POST" && completeMatch) {
      const upload = this.uploads.get(completeMatch[1]!);
      if (!upload) return this.#fail(response, "not-found", "no such upload");
      const sha256 = createHash("sha256").update(this.assembled(upload)).digest("hex");
      if (sha256 !== upload.begin.sha256) return this.#fail(response, "malformed", "whole-file hash differs");
      upload.completedSha256 = sha256;
      return this.#send(response, { evidenceId: `e_${upload.uploadId}`, sha256 });
    }
    return this.#fail(response, "not-found", route);
  }

  async #enroll(body: Buffer, response: http.ServerResponse): Promise<void> {
    const enroll = parse(EnrollRequest, body);
    if (enroll.deploymentToken !== this.token) return this.#fail(response, "unauthorized", "bad deployment token");
    const responderId = await responderIdFromPublicKey(enroll.publicKey);
    this.responders.set(responderId, { publicKey: enroll.publicKey, revoked: false });
    this.#send(response, {
      protocolVersion: 1,
      responderId,
      organizationId: "org_test",
      checkinIntervalSec: this.nextCheckinSec,
      ...(this.caFingerprint ? { caFingerprint: this.caFingerprint } : {}),
    });
  }
}

function parse<T>(schema: z.ZodType<T>, body: Buffer): T {
  return schema.parse(JSON.parse(body.toString("utf8")));
}
