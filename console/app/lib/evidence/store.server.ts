import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Where evidence blobs and partial uploads live for one data directory. */
export interface EvidenceStore {
  readonly evidenceDir: string;
  readonly uploadsDir: string;
}

export function evidenceStore(dataDir: string): EvidenceStore {
  return { evidenceDir: path.join(dataDir, "evidence"), uploadsDir: path.join(dataDir, "uploads") };
}

/** Content-addressed location `evidence/sha256/ab/cd/<hash>`. */
export function blobPath(store: EvidenceStore, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
  return path.join(store.evidenceDir, "sha256", sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export function chunkPath(store: EvidenceStore, uploadId: string, index: number): string {
  return path.join(uploadDir(store, uploadId), String(index));
}

function uploadDir(store: EvidenceStore, uploadId: string): string {
  // Upload ids come from the database, but keep them from ever naming a path outside uploads/.
  if (!/^[A-Za-z0-9_-]+$/.test(uploadId)) throw new Error(`unsafe upload id: ${uploadId}`);
  return path.join(store.uploadsDir, uploadId);
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a chunk durably: temp file, fsync, rename, fsync the directory.
 * Only after this returns may the chunk be recorded and acknowledged.
 */
export async function writeChunkDurably(
  store: EvidenceStore,
  uploadId: string,
  index: number,
  bytes: Uint8Array,
): Promise<void> {
  const dir = uploadDir(store, uploadId);
  await mkdir(dir, { recursive: true });
  const finalPath = chunkPath(store, uploadId, index);
  const tempPath = `${finalPath}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(tempPath, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
  await fsyncDirectory(dir);
}

export interface AssembledBlob {
  sha256: string;
  size: number;
  path: string;
}

/**
 * Concatenates the chunk files in order into the content-addressed store while hashing them.
 * The blob is moved into place only if its SHA-256 equals `expectedSha256`; otherwise nothing is stored.
 */
export async function assembleChunks(
  store: EvidenceStore,
  uploadId: string,
  chunkCount: number,
  expectedSha256: string,
): Promise<{ ok: true; blob: AssembledBlob } | { ok: false; actualSha256: string; size: number }> {
  const tempDir = path.join(store.evidenceDir, "tmp");
  await mkdir(tempDir, { recursive: true });
  const tempPath = path.join(tempDir, `${uploadId}.${randomBytes(6).toString("hex")}`);
  const hash = createHash("sha256");
  let size = 0;
  // One chunk (at most MAX_CHUNK_SIZE) in memory at a time: the whole file never is.
  const out = await open(tempPath, "w");
  try {
    for (let index = 0; index < chunkCount; index++) {
      const data = await readFile(chunkPath(store, uploadId, index));
      hash.update(data);
      size += data.byteLength;
      await out.write(data);
    }
    await out.sync();
  } catch (error) {
    await out.close();
    await rm(tempPath, { force: true });
    throw error;
  }
  await out.close();
  const actualSha256 = hash.digest("hex");
  if (actualSha256 !== expectedSha256) {
    await rm(tempPath, { force: true });
    return { ok: false, actualSha256, size };
  }
  const finalPath = blobPath(store, actualSha256);
  await mkdir(path.dirname(finalPath), { recursive: true });
  if (await exists(finalPath)) {
    // Same content is already stored (content addressing deduplicates).
    await rm(tempPath, { force: true });
  } else {
    await rename(tempPath, finalPath);
    await fsyncDirectory(path.dirname(finalPath));
  }
  return { ok: true, blob: { sha256: actualSha256, size, path: finalPath } };
}

export async function removeUploadChunks(store: EvidenceStore, uploadId: string): Promise<void> {
  await rm(uploadDir(store, uploadId), { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
