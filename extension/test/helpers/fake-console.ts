import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  CheckinRequest,
  EnrollRequest,
  HEADER_CHUNK_SHA256,
  InMemoryNonceStore,
  RESPONDER_API_BASE,
  responderIdFromPublicKey,
  TaskProgress,
  UploadBegin,
  verifyRequest,
  type TaskAssignment,
} from "@corvid/protocol";

/**
 * A console for the extension's unit tests over real HTTP on loopback: it validates every body with the
 * protocol's schemas and verifies every signature with `verifyRequest`, like the real console does.
 * (The full console with its database is exercised by the repository's E2E.)
 */
export interface FakeUpload {
  uploadId: string;
  begin: UploadBegin;
  chunks: Map<number, Buffer>;
  chunkPuts: number[];
  completed?: { sha256: string };
}

export class FakeConsole {
  readonly responders = new Map<string, { publicKey: string; kind: string; facts: unknown }>();
  readonly checkins: CheckinRequest[] = [];
  readonly progress: { taskId: string; body: TaskProgress }[] = [];
  readonly uploads = new Map<string, FakeUpload>();
  readonly queued: TaskAssignment[] = [];
  readonly cancelled: string[] = [];
  readonly revoked = new Set<string>();
  chunkSize = 64 * 1024;
  /** PUT of this chunk index fails with 503 once per entry: a connection lost mid-upload. */
  failChunkOnce = new Set<number>();
  readonly #nonces = new InMemoryNonceStore();
  readonly #server = http.createServer((request, response) => void this.#handle(request, response));
  origin = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The JSONL rows of the completed upload with this name (of this task, when given). */
  table(name: string, taskId?: string): Record<string, unknown>[] {
    const upload = [...this.uploads.values()].find((candidate) => candidate.begin.name === name && candidate.completed && (taskId === undefined || candidate.begin.taskId === taskId));
    if (!upload) throw new Error(`no completed upload named ${name}`);
    return whole(upload).toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = request.url ?? "/";
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(payload));
    };
    const fail = (status: number, code: string, message: string) => send(status, { error: { code, message } });
    const route = target.replace(RESPONDER_API_BASE, "").replace(/\?.*$/, "");
    if (request.method === "POST" && route === "/enroll") {
      const parsed = EnrollRequest.safeParse(JSON.parse(body.toString("utf8")));
      if (!parsed.success) return fail(400, "malformed", parsed.error.issues[0]?.message ?? "bad enroll");
      const responderId = await responderIdFromPublicKey(parsed.data.publicKey);
      this.responders.set(responderId, { publicKey: parsed.data.publicKey, kind: parsed.data.kind, facts: parsed.data.facts });
      this.revoked.delete(responderId);
      return send(200, { protocolVersion: 1, responderId, organizationId: "org_test", checkinIntervalSec: 30 });
    }
    const claimed = String(request.headers["x-corvid-responder"] ?? "");
    const responder = this.responders.get(claimed);
    if (!responder || this.revoked.has(claimed)) return fail(410, "reenroll", "unknown or revoked responder");
    const verdict = await verifyRequest({
      method: request.method ?? "GET",
      path: target,
      headers: request.headers as Record<string, string>,
      body: new Uint8Array(body),
      publicKey: responder.publicKey,
      expectedResponderId: claimed,
      now: Date.now(),
      nonceStore: this.#nonces,
    });
    if (!verdict.ok) return fail(401, "unauthorized", verdict.reason);
    const json = () => JSON.parse(body.toString("utf8")) as unknown;
    if (request.method === "POST" && route === "/checkin") {
      const parsed = CheckinRequest.safeParse(json());
      if (!parsed.success) return fail(400, "malformed", parsed.error.issues[0]?.message ?? "bad checkin");
      this.checkins.push(parsed.data);
      return send(200, { status: "ok", nextCheckinSec: 30, tasks: this.queued.splice(0), cancelTaskIds: this.cancelled.splice(0) });
    }
    let match = /^\/tasks\/([^/]+)\/progress$/.exec(route);
    if (request.method === "POST" && match) {
      const parsed = TaskProgress.safeParse(json());
      if (!parsed.success) return fail(400, "malformed", parsed.error.issues[0]?.message ?? "bad progress");
      this.progress.push({ taskId: match[1]!, body: parsed.data });
      return send(200, { ok: true });
    }
    if (request.method === "POST" && route === "/uploads") {
      const parsed = UploadBegin.safeParse(json());
      if (!parsed.success) return fail(400, "malformed", parsed.error.issues[0]?.message ?? "bad upload");
      const existing = [...this.uploads.values()].find((upload) => upload.begin.taskId === parsed.data.taskId && upload.begin.name === parsed.data.name && upload.begin.sha256 === parsed.data.sha256);
      const upload = existing ?? { uploadId: `u${this.uploads.size + 1}`, begin: parsed.data, chunks: new Map(), chunkPuts: [] };
      this.uploads.set(upload.uploadId, upload);
      return send(200, { uploadId: upload.uploadId, chunkSize: this.chunkSize, receivedChunks: [...upload.chunks.keys()].sort((a, b) => a - b) });
    }
    match = /^\/uploads\/([^/]+)\/chunks\/(\d+)$/.exec(route);
    if (request.method === "PUT" && match) {
      const upload = this.uploads.get(match[1]!);
      if (!upload) return fail(404, "not-found", "no such upload");
      const index = Number(match[2]);
      upload.chunkPuts.push(index);
      if (this.failChunkOnce.delete(index)) return fail(503, "internal", "connection lost");
      if (createHash("sha256").update(body).digest("hex") !== request.headers[HEADER_CHUNK_SHA256]) return fail(400, "malformed", "chunk hash");
      upload.chunks.set(index, body);
      return send(200, { received: index });
    }
    match = /^\/uploads\/([^/]+)\/complete$/.exec(route);
    if (request.method === "POST" && match) {
      const upload = this.uploads.get(match[1]!);
      if (!upload) return fail(404, "not-found", "no such upload");
      const sha256 = createHash("sha256").update(whole(upload)).digest("hex");
      if (sha256 !== upload.begin.sha256) return fail(400, "malformed", "whole hash differs");
      upload.completed = { sha256 };
      return send(200, { evidenceId: `e_${upload.uploadId}`, sha256 });
    }
    return fail(404, "not-found", `${request.method} ${target}`);
  }
}

function whole(upload: FakeUpload): Buffer {
  return Buffer.concat([...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes));
}
