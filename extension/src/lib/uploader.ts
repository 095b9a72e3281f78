import { DEFAULT_CHUNK_SIZE, missingChunkIndexes, sha256Hex, UploadBegin } from "@corvid/protocol";
import type { Spool } from "./spool.ts";
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
 * Chunked, resumable uploads (mirrors agent-native/src/uploader.ts). The bytes are spooled and the upload
 * journaled before the first byte is sent; after a SW restart `drain()` begins again, the console answers
 * with the same uploadId and the chunks it already holds, and only the rest is sent.
 */
export class Uploader {
  constructor(
    private readonly client: ConsoleClient,
    private readonly state: ResponderState,
    private readonly spool: Spool,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
  ) {}

  async enqueue(bytes: Uint8Array, upload: PendingUpload): Promise<UploadJournalEntry> {
    const id = `${Date.now().toString(36)}-${crypto.randomUUID()}`;
    await this.spool.write(id, bytes);
    const entry: UploadJournalEntry = {
      version: 1,
      id,
      begin: UploadBegin.parse({ ...upload, size: bytes.byteLength, sha256: await sha256Hex(bytes), chunkSize: this.chunkSize }),
      createdAt: new Date().toISOString(),
    };
    await this.state.saveUpload(entry);
    return entry;
  }

  /** Spool items without a journal entry: the SW stopped between spooling and journaling. */
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
