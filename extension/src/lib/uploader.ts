import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, DEFAULT_CHUNK_SIZE, missingChunkIndexes, UploadBegin } from "@corvid/protocol";
import type { Spool, SpoolWriter } from "./spool.ts";
import type { ResponderState, UploadJournalEntry } from "./state.ts";
import { ConsoleHttpError, type ConsoleClient } from "./transport.ts";

export type PendingUpload = Omit<UploadBegin, "size" | "sha256" | "chunkSize">;

export interface UploadResult {
  name: string;
  evidenceId: string;
  sha256: string;
  size: number;
}

/**
 * An upload whose bytes are spooled as they are produced and hashed on the way (WebCrypto cannot hash
 * incrementally), so no table has to fit in the service worker's memory. Until `enqueue` journals it, its spool
 * item is an orphan: a service worker stopped mid-collection leaves nothing that `removeOrphans` would not clear.
 */
export class SpoolingUpload {
  readonly #hash = sha256.create();
  #size = 0;

  constructor(
    private readonly id: string,
    private readonly writer: SpoolWriter,
    private readonly uploader: Uploader,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    await this.writer.write(bytes);
    this.#hash.update(bytes);
    this.#size += bytes.byteLength;
  }

  async enqueue(upload: PendingUpload): Promise<UploadJournalEntry> {
    await this.writer.close();
    return this.uploader.journal(this.id, upload, this.#size, bytesToHex(this.#hash.digest()));
  }

  async discard(): Promise<void> {
    await this.writer.abort().catch(() => undefined);
    await this.uploader.spool.remove(this.id);
  }
}

/**
 * Chunked, resumable uploads (mirrors agent-native/src/uploader.ts). The bytes are spooled and the upload
 * journaled before the first byte is sent; after a SW restart `drain()` begins again, the console answers
 * with the same uploadId and the chunks it already holds, and only the rest is sent.
 */
export class Uploader {
  constructor(
    private readonly client: ConsoleClient,
    private readonly state: ResponderState,
    readonly spool: Spool,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
  ) {}

  async start(): Promise<SpoolingUpload> {
    const id = `${Date.now().toString(36)}-${crypto.randomUUID()}`;
    return new SpoolingUpload(id, await this.spool.create(id), this);
  }

  /** Journals a closed spool item: from here on it is uploaded, and resumed after a restart, until the console has it. */
  async journal(id: string, upload: PendingUpload, size: number, sha256: string): Promise<UploadJournalEntry> {
    const entry: UploadJournalEntry = {
      version: 1,
      id,
      begin: UploadBegin.parse({ ...upload, size, sha256, chunkSize: this.chunkSize }),
      createdAt: new Date().toISOString(),
    };
    await this.state.saveUpload(entry);
    return entry;
  }

  /** Spool items without a journal entry: the SW stopped while collecting into them, or before journaling them. */
  async removeOrphans(): Promise<number> {
    const journaled = new Set((await this.state.uploads()).map((entry) => entry.id));
    const orphans = (await this.spool.list()).filter((id) => !journaled.has(id));
    for (const id of orphans) await this.spool.remove(id);
    return orphans.length;
  }

  async drain(taskId?: string): Promise<UploadResult[]> {
    const results: UploadResult[] = [];
    for (const entry of await this.state.uploads()) {
      if (taskId !== undefined && entry.begin.taskId !== taskId) continue;
      const result = await this.#send(entry);
      if (result) results.push(result);
    }
    return results;
  }

  async discard(taskId: string): Promise<void> {
    for (const entry of await this.state.uploads()) if (entry.begin.taskId === taskId) await this.#forget(entry.id);
  }

  /** Null when the console refused the upload for good (its task is gone); the journal entry is dropped. */
  async #send(entry: UploadJournalEntry): Promise<UploadResult | null> {
    const { begin } = entry;
    let began;
    try {
      began = await this.client.beginUpload(begin);
    } catch (error) {
      if (error instanceof ConsoleHttpError && [400, 404, 409].includes(error.status)) {
        await this.#forget(entry.id);
        return null;
      }
      throw error;
    }
    for (const index of missingChunkIndexes(begin.size, began.chunkSize, began.receivedChunks)) {
      const bytes = await this.spool.read(entry.id, index * began.chunkSize, began.chunkSize);
      await this.client.putChunk(began.uploadId, index, bytes);
    }
    const completed = await this.client.completeUpload(began.uploadId);
    if (completed.sha256 !== begin.sha256) {
      throw new ConsoleHttpError(200, "malformed", `console stored ${completed.sha256} for ${begin.name}, expected ${begin.sha256}`);
    }
    await this.#forget(entry.id);
    return { name: begin.name, evidenceId: completed.evidenceId, sha256: completed.sha256, size: begin.size };
  }

  async #forget(id: string): Promise<void> {
    await this.state.removeUpload(id);
    await this.spool.remove(id);
  }
}
