import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, open, stat } from "node:fs/promises";
import { DEFAULT_CHUNK_SIZE, missingChunkIndexes, UploadBegin, type UploadCompleteResponse } from "@corvid/protocol";
import { z } from "zod";
import type { Logger } from "./log.ts";
import type { StateStore } from "./state.ts";
import { ConsoleHttpError, type ConsoleClient } from "./transport.ts";

/** One journaled upload: what to announce, and the spooled bytes (a private copy, so the hash stays true). */
const UploadJournalEntry = z.object({
  version: z.literal(1),
  id: z.string(),
  begin: UploadBegin,
  createdAt: z.string(),
});
type UploadJournalEntry = z.infer<typeof UploadJournalEntry>;

export type PendingUpload = Omit<UploadBegin, "size" | "sha256" | "chunkSize">;

export interface UploadResult extends UploadCompleteResponse {
  name: string;
  size: number;
}

/**
 * Chunked, resumable uploads. Each upload is spooled into `uploads/<id>.data` and journaled in
 * `uploads/<id>.json` before the first byte is sent; after a crash or restart `drain()` calls begin again
 * (the console answers with the same uploadId and the chunks it already holds) and sends only the rest.
 */
export class Uploader {
  readonly #client: ConsoleClient;
  readonly #state: StateStore;
  readonly #log: Logger;
  readonly #chunkSize: number;

  constructor(client: ConsoleClient, state: StateStore, log: Logger, chunkSize = DEFAULT_CHUNK_SIZE) {
    this.#client = client;
    this.#state = state;
    this.#log = log;
    this.#chunkSize = chunkSize;
  }

  /** Journals an upload whose bytes are already in `uploads/<id>.data` (see `spoolPath`). */
  async enqueueSpooled(id: string, upload: PendingUpload): Promise<UploadJournalEntry> {
    const dataPath = this.spoolPath(id);
    const { size } = await stat(dataPath);
    const entry: UploadJournalEntry = {
      version: 1,
      id,
      begin: UploadBegin.parse({ ...upload, size, sha256: await sha256OfFile(dataPath), chunkSize: this.#chunkSize }),
      createdAt: new Date().toISOString(),
    };
    await this.#state.writeJson(`uploads/${id}.json`, entry);
    return entry;
  }

  /** Copies a file into the spool (its content at this moment is the evidence) and journals it. */
  async enqueueFileCopy(sourcePath: string, upload: PendingUpload): Promise<UploadJournalEntry> {
    const id = newUploadId();
    await copyFile(sourcePath, this.spoolPath(id));
    return this.enqueueSpooled(id, upload);
  }

  /** Removes spooled bytes that never got a journal entry (the agent died between collecting and journaling). */
  async removeOrphans(): Promise<number> {
    const names = new Set(await this.#state.list("uploads"));
    const orphans = [...names].filter((name) => name.endsWith(".data") && !names.has(name.replace(/\.data$/, ".json")));
    for (const name of orphans) await this.#state.remove(`uploads/${name}`);
    return orphans.length;
  }

  spoolPath(id: string): string {
    return this.#state.path("uploads", `${id}.data`);
  }

  async pending(taskId?: string): Promise<UploadJournalEntry[]> {
    const entries: UploadJournalEntry[] = [];
    for (const name of await this.#state.list("uploads")) {
      if (!name.endsWith(".json")) continue;
      const entry = await this.#state.readJson(`uploads/${name}`, UploadJournalEntry);
      if (entry && (taskId === undefined || entry.begin.taskId === taskId)) entries.push(entry);
    }
    return entries.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Sends every journaled upload (optionally only one task's), oldest first. */
  async drain(options: { taskId?: string; signal?: AbortSignal } = {}): Promise<UploadResult[]> {
    const results: UploadResult[] = [];
    for (const entry of await this.pending(options.taskId)) {
      options.signal?.throwIfAborted();
      const result = await this.#send(entry, options.signal);
      if (result) results.push(result);
    }
    return results;
  }

  /** Null when the console refused the upload for good (its task is gone); the journal entry is dropped. */
  async #send(entry: UploadJournalEntry, signal: AbortSignal | undefined): Promise<UploadResult | null> {
    const { begin } = entry;
    let began;
    try {
      began = await this.#client.beginUpload(begin, signal);
    } catch (error) {
      if (error instanceof ConsoleHttpError && (error.status === 404 || error.status === 409 || error.status === 400)) {
        this.#log.warn("console refused upload; dropping it", { upload: entry.id, name: begin.name, task: begin.taskId, status: error.status, reason: error.message });
        await this.#forget(entry.id);
        return null;
      }
      throw error;
    }
    const missing = missingChunkIndexes(begin.size, began.chunkSize, began.receivedChunks);
    if (began.receivedChunks.length > 0) {
      this.#log.info("resuming upload", { upload: entry.id, name: begin.name, received: began.receivedChunks.length, missing: missing.length });
    }
    const file = await open(this.spoolPath(entry.id), "r");
    try {
      const buffer = Buffer.alloc(began.chunkSize);
      for (const index of missing) {
        signal?.throwIfAborted();
        const { bytesRead } = await file.read(buffer, 0, began.chunkSize, index * began.chunkSize);
        await this.#client.putChunk(began.uploadId, index, buffer.subarray(0, bytesRead), signal);
      }
    } finally {
      await file.close();
    }
    const completed = await this.#client.completeUpload(began.uploadId, signal);
    if (completed.sha256 !== begin.sha256) {
      throw new ConsoleHttpError(200, "malformed", `console stored ${completed.sha256} for ${begin.name}, expected ${begin.sha256}`);
    }
    await this.#forget(entry.id);
    this.#log.info("uploaded", { name: begin.name, kind: begin.kind, bytes: begin.size, sha256: begin.sha256, evidence: completed.evidenceId });
    return { ...completed, name: begin.name, size: begin.size };
  }

  async #forget(id: string): Promise<void> {
    await this.#state.remove(`uploads/${id}.json`);
    await this.#state.remove(`uploads/${id}.data`);
  }
}

export function newUploadId(): string {
  return `${Date.now().toString(36)}-${randomUUID()}`;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
