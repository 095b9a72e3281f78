// Chunked uploads, resume, hash checks, content-addressed storage, chain of custody, table paging/sorting/export
// and raw download, on real SQLite and PostgreSQL.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ErrorBody, HEADER_CHUNK_SHA256, MIN_CHUNK_SIZE, UploadBeginResponse, UploadCompleteResponse, responderPaths } from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCase } from "../app/lib/cases.server.ts";
import { evidenceDownloadResponse, evidenceExportResponse, getEvidence } from "../app/lib/evidence/evidence.server.ts";
import { parseTableQuery, queryEvidenceRows } from "../app/lib/evidence/table.server.ts";
import { handleUploadBegin, handleUploadChunk, handleUploadComplete } from "../app/lib/evidence/uploads.server.ts";
import { handleCheckin } from "../app/lib/responder/checkin.server.ts";
import { cancelTask, createAcquisitionTask } from "../app/lib/tasks.server.ts";
import {
  DATABASE_KINDS,
  call,
  enroll,
  issueToken,
  openTestEnvironment,
  sampleFacts,
  seedOrganization,
  startResponderServer,
  testCatalogue,
  type SeededOrganization,
  type TestEnvironment,
  type TestResponder,
} from "./helpers/responder-fixtures.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function processTable(rows: number): Uint8Array {
  const lines: string[] = [];
  for (let pid = 1; pid <= rows; pid++) {
    lines.push(JSON.stringify({ pid, name: pid % 10 === 0 ? `sshd-${pid}` : `worker-${pid}`, cmdline: `/usr/bin/worker --id=${pid} ${"x".repeat(40)}` }));
  }
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

describe.each(DATABASE_KINDS)("evidence uploads on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let org: SeededOrganization;
  let responder: TestResponder;
  let other: TestResponder;
  let caseId: string;
  let taskId: string;

  async function send(request: Promise<Request>, handler: (request: Request) => Promise<unknown>) {
    const ready = await request;
    return call(() => handler(ready));
  }
  const begin = (who: TestResponder, body: object) =>
    send(who.signed("POST", responderPaths.uploads, body), (request) => handleUploadBegin(env.ctx, request));
  const putChunk = (who: TestResponder, uploadId: string, index: number, bytes: Uint8Array, declared = sha256(bytes)) =>
    send(who.signed("PUT", responderPaths.uploadChunk(uploadId, index), bytes, { headers: { [HEADER_CHUNK_SHA256]: declared } }), (request) =>
      handleUploadChunk(env.ctx, request, uploadId, String(index)),
    );
  const complete = (who: TestResponder, uploadId: string) =>
    send(who.signed("POST", responderPaths.uploadComplete(uploadId), {}), (request) => handleUploadComplete(env.ctx, request, uploadId));
  const chunksOf = (bytes: Uint8Array, size: number) => {
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
    return chunks;
  };

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    org = await seedOrganization(env.db, "evidence-org");
    responder = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("evidence-host"));
    other = await enroll(env.ctx, await issueToken(env.db, org), sampleFacts("other-host"));
    caseId = (await createCase(env.db, org.analyst, { name: "Evidence case", description: "" })).id;
    const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
    taskId = (await createAcquisitionTask(env.db, org.analyst, testCatalogue(), {
      caseId,
      artifacts: ["Linux.Sys.Processes"],
      target: { kind: "assets", assetIds: [asset.id] },
      expiresInHours: 24,
    }))!.id;
    await call(async () => handleCheckin(env.ctx, await responder.signed("POST", responderPaths.checkin, responder.checkinBody([], sampleFacts("evidence-host")))));
  });
  afterAll(async () => env?.close());

  it("resumes an interrupted table upload, stores it content-addressed and ingests its rows", async () => {
    const table = processTable(1500);
    const digest = sha256(table);
    const beginBody = {
      taskId,
      artifact: "Linux.Sys.Processes",
      name: "Linux.Sys.Processes.jsonl",
      kind: "table",
      contentType: "application/x-ndjson",
      size: table.length,
      sha256: digest,
      chunkSize: MIN_CHUNK_SIZE,
      rowCount: 1500,
      columns: testCatalogue().get("Linux.Sys.Processes")!.columns,
    };
    const first = await begin(responder, beginBody);
    expect(first.status).toBe(200);
    const started = UploadBeginResponse.parse(await first.json());
    expect(started).toMatchObject({ chunkSize: MIN_CHUNK_SIZE, receivedChunks: [] });
    const chunks = chunksOf(table, MIN_CHUNK_SIZE);
    expect(chunks.length).toBeGreaterThan(2);

    // Two chunks arrive, then the responder "crashes" and begins again.
    expect((await putChunk(responder, started.uploadId, 0, chunks[0]!)).status).toBe(200);
    expect(await (await putChunk(responder, started.uploadId, 1, chunks[1]!)).json()).toEqual({ received: 1 });
    const resumed = UploadBeginResponse.parse(await (await begin(responder, beginBody)).json());
    expect(resumed.uploadId).toBe(started.uploadId);
    expect(resumed.receivedChunks).toEqual([0, 1]);
    // A chunk sent twice is acknowledged again without change.
    expect((await putChunk(responder, started.uploadId, 0, chunks[0]!)).status).toBe(200);

    const early = await complete(responder, started.uploadId);
    expect(early.status).toBe(400);
    expect(ErrorBody.parse(await early.json()).error.message).toMatch(/missing/);

    for (let index = 2; index < chunks.length; index++) {
      expect((await putChunk(responder, started.uploadId, index, chunks[index]!)).status).toBe(200);
    }
    const done = await complete(responder, started.uploadId);
    expect(done.status).toBe(200);
    const result = UploadCompleteResponse.parse(await done.json());
    expect(result.sha256).toBe(digest);

    const blob = path.join(env.dataDir, "evidence", "sha256", digest.slice(0, 2), digest.slice(2, 4), digest);
    expect(sha256(readFileSync(blob))).toBe(digest);
    expect(existsSync(path.join(env.dataDir, "uploads", started.uploadId))).toBe(false);

    const evidence = await getEvidence(env.db, org.id, result.evidenceId);
    expect(evidence).toMatchObject({
      caseId,
      taskId,
      artifact: "Linux.Sys.Processes",
      kind: "table",
      sha256: digest,
      size: BigInt(table.length),
      rowCount: 1500,
      acquiredBy: responder.responderId,
      requestedById: org.analyst.id,
      asset: { hostname: "evidence-host" },
    });
    expect(evidence!.receivedAt.getTime()).toBeGreaterThanOrEqual(evidence!.collectedAt.getTime());
    expect(await env.db.evidenceRow.count({ where: { evidenceId: result.evidenceId } })).toBe(1500);
    expect(await env.db.auditLog.count({ where: { action: "evidence.receive", target: result.evidenceId } })).toBe(1);

    // Completing again answers the same evidence and ingests nothing twice.
    const again = UploadCompleteResponse.parse(await (await complete(responder, started.uploadId)).json());
    expect(again.evidenceId).toBe(result.evidenceId);
    expect(await env.db.evidenceRow.count({ where: { evidenceId: result.evidenceId } })).toBe(1500);

    // Paging, numeric sorting and column filtering in SQL.
    const columns = testCatalogue().get("Linux.Sys.Processes")!.columns;
    const sorted = await queryEvidenceRows(env.db, evidence!, parseTableQuery(new URLSearchParams("sort=pid&dir=desc&size=25&page=2"), columns));
    expect(sorted.total).toBe(1500);
    expect(sorted.pageCount).toBe(60);
    expect(sorted.rows.map((row) => row.pid)).toEqual(Array.from({ length: 25 }, (_, i) => 1475 - i));
    const filtered = await queryEvidenceRows(env.db, evidence!, parseTableQuery(new URLSearchParams("f.name=SSHD&sort=pid"), columns));
    expect(filtered.total).toBe(150);
    expect(filtered.rows[0]).toMatchObject({ pid: 10, name: "sshd-10" });
    const searched = await queryEvidenceRows(env.db, evidence!, parseTableQuery(new URLSearchParams("q=--id%3D777%20"), columns));
    expect(searched.rows.map((row) => row.pid)).toEqual([777]);

    // Exports stream the filtered view; the download carries the hash and is audited.
    const user = { id: org.analyst.id, organizationId: org.id };
    const csv = await (await evidenceExportResponse(env.db, user, evidence!, parseTableQuery(new URLSearchParams("f.name=sshd&sort=pid"), columns), "csv")).text();
    const csvLines = csv.trimEnd().split("\r\n");
    expect(csvLines[0]).toBe("pid,name,cmdline");
    expect(csvLines).toHaveLength(151);
    expect(csvLines[1]).toMatch(/^10,sshd-10,/);
    const jsonl = await (await evidenceExportResponse(env.db, user, evidence!, parseTableQuery(new URLSearchParams(""), columns), "jsonl")).text();
    expect(jsonl.trimEnd().split("\n").map((line) => JSON.parse(line).pid)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    const download = await evidenceDownloadResponse(env.db, env.dataDir, user, evidence!);
    expect(download.headers.get("x-corvid-sha256")).toBe(digest);
    expect(download.headers.get("content-disposition")).toContain('filename="Linux.Sys.Processes.jsonl"');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(digest);
    expect(await env.db.auditLog.count({ where: { action: { in: ["evidence.download", "evidence.export"] }, target: result.evidenceId } })).toBe(3);
  });

  it("rejects bad chunks (hash, size, index, header) with 4xx and records nothing", async () => {
    const bytes = new TextEncoder().encode("y".repeat(MIN_CHUNK_SIZE + 100));
    const started = UploadBeginResponse.parse(
      await (await begin(responder, { taskId, artifact: "Linux.Sys.Processes", name: "bad-chunks.bin", kind: "file", contentType: "application/octet-stream", size: bytes.length, sha256: sha256(bytes), chunkSize: MIN_CHUNK_SIZE })).json(),
    );
    const [chunk0, chunk1] = chunksOf(bytes, MIN_CHUNK_SIZE);
    const wrongHash = await putChunk(responder, started.uploadId, 0, chunk0!, "0".repeat(64));
    expect(wrongHash.status).toBe(400);
    expect(ErrorBody.parse(await wrongHash.json()).error.message).toMatch(/SHA-256/);
    expect((await putChunk(responder, started.uploadId, 1, chunk0!)).status).toBe(400); // wrong size for the last chunk
    expect((await putChunk(responder, started.uploadId, 2, chunk1!)).status).toBe(400); // out of range
    const oversized = new Uint8Array(MIN_CHUNK_SIZE + 1);
    expect((await putChunk(responder, started.uploadId, 0, oversized)).status).toBe(413);
    const noHeader = await send(responder.signed("PUT", responderPaths.uploadChunk(started.uploadId, 0), chunk0!), (request) =>
      handleUploadChunk(env.ctx, request, started.uploadId, "0"),
    );
    expect(noHeader.status).toBe(400);
    expect(await env.db.uploadChunk.count({ where: { uploadId: started.uploadId } })).toBe(0);
    // Another responder cannot touch this upload.
    expect((await putChunk(other, started.uploadId, 0, chunk0!)).status).toBe(404);
    expect((await complete(other, started.uploadId)).status).toBe(404);
  });

  it("refuses to complete when the whole SHA-256 differs and creates no evidence", async () => {
    const real = new TextEncoder().encode("real content\n");
    const claimed = sha256(new TextEncoder().encode("other content\n"));
    const started = UploadBeginResponse.parse(
      await (await begin(responder, { taskId, artifact: "Linux.Sys.Processes", name: "lie.bin", kind: "file", contentType: "application/octet-stream", size: real.length, sha256: claimed })).json(),
    );
    expect((await putChunk(responder, started.uploadId, 0, real)).status).toBe(200);
    const response = await complete(responder, started.uploadId);
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(await response.json()).error.message).toMatch(/SHA-256/);
    expect(await env.db.evidence.count({ where: { uploadId: started.uploadId } })).toBe(0);
    expect(existsSync(path.join(env.dataDir, "evidence", "sha256", claimed.slice(0, 2), claimed.slice(2, 4), claimed))).toBe(false);
  });

  it("refuses uploads for tasks of other responders and for cancelled tasks", async () => {
    const body = { taskId, artifact: "Linux.Sys.Processes", name: "x.bin", kind: "file", contentType: "application/octet-stream", size: 1, sha256: sha256(new Uint8Array([1])) };
    expect((await begin(other, body)).status).toBe(404);
    const malformed = await begin(responder, { ...body, sha256: "nothex" });
    expect(malformed.status).toBe(400);

    const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
    const cancelled = (await createAcquisitionTask(env.db, org.analyst, testCatalogue(), { caseId, artifacts: ["Linux.Sys.Users"], target: { kind: "assets", assetIds: [asset.id] }, expiresInHours: 1 }))!;
    await cancelTask(env.db, org.analyst, cancelled.id);
    expect((await begin(responder, { ...body, taskId: cancelled.id })).status).toBe(409);
  });

  it("takes a raw file upload over real HTTP", async () => {
    const server = await startResponderServer(env.ctx);
    try {
      const bytes = new Uint8Array(MIN_CHUNK_SIZE * 2 + 7).map((_, i) => (i * 31) % 251);
      const digest = sha256(bytes);
      const post = async (path: string, body: object) => {
        const request = await responder.signed("POST", path, body, { base: server.url });
        return fetch(request.url, { method: "POST", headers: request.headers, body: JSON.stringify(body) });
      };
      const started = UploadBeginResponse.parse(
        await (await post(responderPaths.uploads, { taskId, artifact: "Linux.Sys.Processes", name: "/etc/hosts", kind: "file", contentType: "application/octet-stream", size: bytes.length, sha256: digest, chunkSize: MIN_CHUNK_SIZE, sourcePath: "/etc/hosts" })).json(),
      );
      for (const [index, chunk] of chunksOf(bytes, MIN_CHUNK_SIZE).entries()) {
        const request = await responder.signed("PUT", responderPaths.uploadChunk(started.uploadId, index), chunk, { base: server.url, headers: { [HEADER_CHUNK_SHA256]: sha256(chunk) } });
        const response = await fetch(request.url, { method: "PUT", headers: request.headers, body: chunk as Uint8Array<ArrayBuffer> });
        expect(response.status).toBe(200);
      }
      const done = UploadCompleteResponse.parse(await (await post(responderPaths.uploadComplete(started.uploadId), {})).json());
      const evidence = await getEvidence(env.db, org.id, done.evidenceId);
      expect(evidence).toMatchObject({ kind: "file", sha256: digest, rowCount: null, upload: { sourcePath: "/etc/hosts" } });
      const download = await evidenceDownloadResponse(env.db, env.dataDir, { id: org.viewer.id, organizationId: org.id }, evidence!);
      expect(download.headers.get("content-disposition")).toContain("filename=\"_etc_hosts\"");
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(digest);
    } finally {
      await server.close();
    }
  });
});
