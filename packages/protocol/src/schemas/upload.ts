import { z } from "zod";
import { DEFAULT_CHUNK_SIZE, MAX_CHUNKS_PER_UPLOAD, MAX_CHUNK_SIZE, MAX_UPLOAD_BYTES, MIN_CHUNK_SIZE } from "../constants.ts";
import { ArtifactName, Identifier, ProtocolVersion, ResponderId, Sha256Hex, Timestamp } from "./common.ts";
import { ArtifactColumn } from "./artifact.ts";

export const UploadKind = z.enum(["table", "file"]);

const ChunkSize = z.int().min(MIN_CHUNK_SIZE).max(MAX_CHUNK_SIZE);
const ChunkIndex = z.int().min(0).max(MAX_CHUNKS_PER_UPLOAD - 1);

/** Number of chunks an upload of `size` bytes is cut into (an empty upload still has none). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Chunk indexes still to send, given the ones the console already acknowledged. */
export function missingChunkIndexes(size: number, chunkSize: number, received: readonly number[]): number[] {
  const done = new Set(received);
  const missing: number[] = [];
  for (let index = 0; index < chunkCount(size, chunkSize); index++) if (!done.has(index)) missing.push(index);
  return missing;
}

/** What a responder says about a piece of evidence when it uploads it, and the console keeps with it. */
const evidenceDescription = {
  artifact: ArtifactName,
  name: z.string().min(1).max(255),
  kind: UploadKind,
  contentType: z.string().min(1).max(128),
  size: z.int().min(0).max(MAX_UPLOAD_BYTES),
  sha256: Sha256Hex,
  columns: z.array(ArtifactColumn).max(256).optional(),
  rowCount: z.int().min(0).optional(),
  sourcePath: z.string().max(4096).optional(),
};

/**
 * POST /uploads. Tables are JSONL (one object per row, keys = column names); files are raw bytes.
 * Sending the same taskId + artifact + name + sha256 again resumes the earlier upload.
 */
export const UploadBegin = z
  .object({
    taskId: Identifier,
    ...evidenceDescription,
    chunkSize: ChunkSize.optional(),
  })
  .refine((begin) => chunkCount(begin.size, begin.chunkSize ?? DEFAULT_CHUNK_SIZE) <= MAX_CHUNKS_PER_UPLOAD, {
    message: `an upload may have at most ${MAX_CHUNKS_PER_UPLOAD} chunks: use a larger chunkSize`,
    path: ["chunkSize"],
  });

export const UploadBeginResponse = z.object({
  uploadId: Identifier,
  chunkSize: ChunkSize,
  /** Chunks the console already holds: a resuming responder sends only the others. */
  receivedChunks: z.array(ChunkIndex).max(MAX_CHUNKS_PER_UPLOAD),
});

/** Answer to PUT /uploads/:uploadId/chunks/:index. */
export const ChunkReceivedResponse = z.object({ received: ChunkIndex });

/** Body of POST /uploads/:uploadId/complete. */
export const UploadCompleteRequest = z.strictObject({});

export const UploadCompleteResponse = z.object({
  evidenceId: Identifier,
  sha256: Sha256Hex,
});

/** One stored evidence item with its chain of custody. */
export const EvidenceItem = z.object({
  evidenceId: Identifier,
  ...evidenceDescription,
  collectedAt: Timestamp,
});

/** The uploads of one task on one responder, with their hashes. */
export const EvidenceManifest = z.object({
  protocolVersion: ProtocolVersion,
  taskId: Identifier,
  caseId: Identifier,
  responderId: ResponderId,
  items: z.array(EvidenceItem).max(4096),
});

export type UploadKind = z.infer<typeof UploadKind>;
export type UploadBegin = z.infer<typeof UploadBegin>;
export type UploadBeginResponse = z.infer<typeof UploadBeginResponse>;
export type ChunkReceivedResponse = z.infer<typeof ChunkReceivedResponse>;
export type UploadCompleteRequest = z.infer<typeof UploadCompleteRequest>;
export type UploadCompleteResponse = z.infer<typeof UploadCompleteResponse>;
export type EvidenceItem = z.infer<typeof EvidenceItem>;
export type EvidenceManifest = z.infer<typeof EvidenceManifest>;
