import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** SHA-256 (hex) of a file, streamed so large files never sit in memory. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Hashes files once per (device, inode, size, mtime): many processes run the same executable, and
 * the key changes whenever the file does.
 */
export class FileHashCache {
  readonly #hashes = new Map<string, Promise<string>>();

  async hash(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
    const info = await stat(path);
    const key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
    let pending = this.#hashes.get(key);
    if (!pending) {
      pending = sha256File(path, signal);
      this.#hashes.set(key, pending);
      pending.catch(() => this.#hashes.delete(key));
    }
    return { sha256: await pending, size: info.size };
  }
}
