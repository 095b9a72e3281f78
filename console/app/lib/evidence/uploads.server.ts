import { createHash } from "node:crypto";
import {
  DEFAULT_CHUNK_SIZE,
  HEADER_CHUNK_SHA256,
  MAX_CHUNK_BODY_BYTES,
  MAX_CHUNK_SIZE,
  MAX_JSON_BODY_BYTES,
  MIN_CHUNK_SIZE,
  Sha256Hex,
  UploadBegin,
  UploadCompleteRequest,
  chunkCount as countChunks,
  type ChunkReceivedResponse,
  type UploadBeginResponse,
  type UploadCompleteResponse,
} from "@corvid/protocol";
import type { Asset, Upload } from "../../generated/sqlite/client.ts";
import { audit } from "../audit.server.ts";
import { authenticateResponder, isUniqueViolation } from "../responder/authenticate.server.ts";
import { parseJsonBody } from "../responder/body.server.ts";
import type { ResponderContext } from "../responder/context.server.ts";
import { conflict, malformed, notFound, tooLarge } from "../responder/errors.server.ts";
import { getArtifactCatalogue } from "../responder/artifact-catalogue.server.ts";
import { TableIngestError, ingestTableRows } from "./ingest.server.ts";
import { assembleChunks, evidenceStore, removeUploadChunks, writeChunkDurably } from "./store.server.ts";

/** Uploads can only be added to assignments a responder is still allowed to work on. */
const UPLOADABLE_STATES = ["delivered", "running", "completed", "failed"];

/**
 * The console may set the chunk size for every upload (`CORVID_UPLOAD_CHUNK_SIZE`, bytes): smaller chunks lose
 * less work on flaky links. Without it the responder's proposal stands.
 */
export function consoleChunkSize(env: Record<string, string | undefined> = process.env): number | undefined {
  const configured = env.CORVID_UPLOAD_CHUNK_SIZE;
  if (!configured) return undefined;
  const size = Number(configured);
  if (!Number.isInteger(size) || size < MIN_CHUNK_SIZE || size > MAX_CHUNK_SIZE) {
    throw new Error(`CORVID_UPLOAD_CHUNK_SIZE must be a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, got ${configured}`);
  }
  return size;
}

/**
 * POST /uploads: starts an upload, or resumes the same one (same task, artifact, name and hash),
 * answering which chunks the console already holds.
 */
export async function handleUploadBegin(ctx: ResponderContext, request: Request): Promise<UploadBeginResponse> {
  const { asset, body } = await authenticateResponder(ctx, request, MAX_JSON_BODY_BYTES);
  const begin = parseJsonBody(body, UploadBegin);
  const assignment = await ctx.db.taskAssignment.findUnique({
    where: { taskId_assetId: { taskId: begin.taskId, assetId: asset.id } },
    include: { task: { select: { cancelledAt: true } } },
  });
  if (!assignment) throw notFound("no such task for this responder");
  if (assignment.task.cancelledAt || !UPLOADABLE_STATES.includes(assignment.status)) {
    throw conflict(`task is ${assignment.task.cancelledAt ? "cancelled" : assignment.status}: uploads are closed`);
  }

  const key = { taskAssignmentId: assignment.id, artifact: begin.artifact, name: begin.name, sha256: begin.sha256 };
  let upload = await ctx.db.upload.findUnique({ where: { taskAssignmentId_artifact_name_sha256: key } });
  if (!upload) {
    const chunkSize = consoleChunkSize() ?? begin.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const columns = begin.columns ?? (await getArtifactCatalogue().catch(() => undefined))?.get(begin.artifact)?.columns ?? [];
    try {
      upload = await ctx.db.upload.create({
        data: {
          ...key,
          organizationId: asset.organizationId,
          kind: begin.kind,
          contentType: begin.contentType,
          size: BigInt(begin.size),
          chunkSize,
          chunkCount: countChunks(begin.size, chunkSize),
          columns: JSON.stringify(columns),
          rowCount: begin.rowCount ?? null,
          sourcePath: begin.sourcePath ?? null,
        },
      });
    } catch (error) {
      // A concurrent begin for the same upload won the insert: resume that one.
      if (!isUniqueViolation(error)) throw error;
      upload = await ctx.db.upload.findUniqueOrThrow({ where: { taskAssignmentId_artifact_name_sha256: key } });
    }
  } else if (upload.size !== BigInt(begin.size) || upload.kind !== begin.kind) {
    throw conflict("an upload with this hash exists with a different size or kind");
  }
  const chunks = await ctx.db.uploadChunk.findMany({ where: { uploadId: upload.id }, select: { index: true }, orderBy: { index: "asc" } });
  return { uploadId: upload.id, chunkSize: upload.chunkSize, receivedChunks: chunks.map((chunk) => chunk.index) };
}

async function findOwnUpload(ctx: ResponderContext, asset: Asset, uploadId: string): Promise<Upload> {
  const upload = await ctx.db.upload.findFirst({ where: { id: uploadId, taskAssignment: { assetId: asset.id } } });
  if (!upload) throw notFound("no such upload for this responder");
  return upload;
}

function expectedChunkSize(upload: Upload, index: number): number {
  const last = upload.chunkCount - 1;
  return index < last ? upload.chunkSize : Number(upload.size) - upload.chunkSize * last;
}

/**
 * PUT /uploads/:uploadId/chunks/:index: stores one chunk after checking its size and SHA-256.
 * The chunk is on disk (fsynced) before it is recorded, and recorded before it is acknowledged,
 * so an acknowledged chunk survives a crash. Sending the same chunk again is harmless.
 */
export async function handleUploadChunk(
  ctx: ResponderContext,
  request: Request,
  uploadId: string,
  indexParam: string,
): Promise<ChunkReceivedResponse> {
  const { asset, body } = await authenticateResponder(ctx, request, MAX_CHUNK_BODY_BYTES);
  const upload = await findOwnUpload(ctx, asset, uploadId);
  if (!/^\d{1,6}$/.test(indexParam)) throw malformed("chunk index must be a non-negative integer");
  const index = Number(indexParam);
  if (index >= upload.chunkCount) throw malformed(`chunk index ${index} is out of range (the upload has ${upload.chunkCount} chunks)`);
  const expectedSize = expectedChunkSize(upload, index);
  if (body.byteLength > upload.chunkSize) throw tooLarge(`chunk is larger than the upload's chunk size ${upload.chunkSize}`);
  if (body.byteLength !== expectedSize) throw malformed(`chunk ${index} must be ${expectedSize} bytes, got ${body.byteLength}`);

  const declared = Sha256Hex.safeParse(request.headers.get(HEADER_CHUNK_SHA256));
  if (!declared.success) throw malformed(`missing or malformed ${HEADER_CHUNK_SHA256} header`);
  const actual = createHash("sha256").update(body).digest("hex");
  if (actual !== declared.data) throw malformed(`chunk ${index} SHA-256 is ${actual}, header says ${declared.data}`);

  const recorded = await ctx.db.uploadChunk.findUnique({ where: { uploadId_index: { uploadId: upload.id, index } } });
  if (recorded) {
    if (recorded.sha256 !== actual) throw conflict(`chunk ${index} was already received with a different SHA-256`);
    return { received: index };
  }
  if (upload.completedAt) throw conflict("upload is already complete");

  await writeChunkDurably(evidenceStore(ctx.dataDir), upload.id, index, body);
  try {
    await ctx.db.uploadChunk.create({ data: { uploadId: upload.id, index, sha256: actual, size: body.byteLength } });
  } catch (error) {
    // The same chunk raced in twice; both wrote identical, verified bytes.
    if (!isUniqueViolation(error)) throw error;
  }
  return { received: index };
}

/**
 * POST /uploads/:uploadId/complete: assembles the chunks, checks the whole SHA-256, stores the blob
 * content-addressed, records the evidence with its chain of custody and ingests table rows.
 * Calling it again after success answers the same evidence.
 */
export async function handleUploadComplete(ctx: ResponderContext, request: Request, uploadId: string): Promise<UploadCompleteResponse> {
  const { asset, body } = await authenticateResponder(ctx, request, MAX_JSON_BODY_BYTES);
  parseJsonBody(body, UploadCompleteRequest);
  const upload = await findOwnUpload(ctx, asset, uploadId);
  const existing = await ctx.db.evidence.findUnique({ where: { uploadId: upload.id } });
  if (upload.completedAt && existing) return { evidenceId: existing.id, sha256: existing.sha256 };

  const chunks = await ctx.db.uploadChunk.findMany({ where: { uploadId: upload.id }, select: { index: true } });
  if (chunks.length !== upload.chunkCount) {
    const have = new Set(chunks.map((chunk) => chunk.index));
    const missing: number[] = [];
    for (let index = 0; index < upload.chunkCount && missing.length < 20; index++) if (!have.has(index)) missing.push(index);
    throw malformed(`upload is missing ${upload.chunkCount - chunks.length} chunk(s), first: ${missing.join(", ")}`);
  }

  const store = evidenceStore(ctx.dataDir);
  const assembled = await assembleChunks(store, upload.id, upload.chunkCount, upload.sha256);
  if (!assembled.ok) {
    throw malformed(`assembled upload has SHA-256 ${assembled.actualSha256}, expected ${upload.sha256}`);
  }

  const assignment = await ctx.db.taskAssignment.findUniqueOrThrow({ where: { id: upload.taskAssignmentId }, include: { task: true } });
  const receivedAt = new Date(ctx.now());
  const evidence =
    existing ??
    (await ctx.db.evidence.create({
      data: {
        organizationId: upload.organizationId,
        caseId: assignment.task.caseId,
        taskId: assignment.taskId,
        assetId: asset.id,
        uploadId: upload.id,
        artifact: upload.artifact,
        name: upload.name,
        kind: upload.kind,
        contentType: upload.contentType,
        size: upload.size,
        sha256: upload.sha256,
        columns: upload.columns,
        collectedAt: upload.createdAt,
        receivedAt,
        acquiredBy: asset.responderId,
        requestedById: assignment.task.createdById,
      },
    }));

  let rowCount: number | null = null;
  if (upload.kind === "table") {
    try {
      rowCount = await ingestTableRows(ctx.db, evidence.id, assembled.blob.path);
    } catch (error) {
      if (error instanceof TableIngestError) {
        await ctx.db.evidence.delete({ where: { id: evidence.id } });
        throw malformed(`table upload is not valid JSONL: ${error.message}`);
      }
      throw error;
    }
  }
  await ctx.db.$transaction([
    ctx.db.evidence.update({ where: { id: evidence.id }, data: { rowCount } }),
    ctx.db.upload.update({ where: { id: upload.id }, data: { completedAt: receivedAt } }),
  ]);
  await audit(ctx.db, {
    organizationId: upload.organizationId,
    actorType: "responder",
    actorId: asset.responderId,
    action: "evidence.receive",
    target: evidence.id,
    detail: { taskId: assignment.taskId, caseId: assignment.task.caseId, artifact: upload.artifact, name: upload.name, sha256: upload.sha256, size: upload.size.toString(), rowCount },
  });
  await removeUploadChunks(store, upload.id);
  return { evidenceId: evidence.id, sha256: evidence.sha256 };
}
