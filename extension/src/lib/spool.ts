/**
 * Where collected tables wait until the console has them. Bytes live outside chrome.storage so a large
 * table never has to be held in one storage value; the upload journal (in storage.local) names them.
 */
export interface Spool {
  /** A new item written piece by piece, so a large table never has to be in memory whole; it is complete once closed. */
  create(id: string): Promise<SpoolWriter>;
  /** Bytes [offset, offset + length) of a spooled item, shorter at its end. */
  read(id: string, offset: number, length: number): Promise<Uint8Array>;
  remove(id: string): Promise<void>;
  list(): Promise<string[]>;
}

export interface SpoolWriter {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Gives up on the item; the caller removes it. */
  abort(): Promise<void>;
}

export class SpoolMissingError extends Error {
  override name = "SpoolMissingError";
}

/** The origin-private file system: reachable from the service worker, survives SW and browser restarts. */
export class OpfsSpool implements Spool {
  readonly #directoryName: string;

  constructor(directoryName = "corvid-spool") {
    this.#directoryName = directoryName;
  }

  async #dir(): Promise<FileSystemDirectoryHandle> {
    return (await navigator.storage.getDirectory()).getDirectoryHandle(this.#directoryName, { create: true });
  }

  /** Written bytes go to the browser's swap file, not this worker's memory; an unclosed item stays empty. */
  async create(id: string): Promise<SpoolWriter> {
    const handle = await (await this.#dir()).getFileHandle(id, { create: true });
    const writable = await handle.createWritable();
    return {
      write: (bytes) => writable.write(bytes as BufferSource),
      close: () => writable.close(),
      abort: () => writable.abort(),
    };
  }

  async read(id: string, offset: number, length: number): Promise<Uint8Array> {
    let handle: FileSystemFileHandle;
    try {
      handle = await (await this.#dir()).getFileHandle(id);
    } catch {
      throw new SpoolMissingError(`spooled item ${id} is gone`);
    }
    const file = await handle.getFile();
    return new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
  }

  async remove(id: string): Promise<void> {
    await (await this.#dir()).removeEntry(id).catch(() => undefined);
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    for await (const name of (await this.#dir() as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  }
}

/** For tests, and browsers without OPFS in service workers. */
export class MemorySpool implements Spool {
  readonly items = new Map<string, Uint8Array>();

  async create(id: string): Promise<SpoolWriter> {
    const parts: Uint8Array[] = [];
    this.items.set(id, new Uint8Array());
    return {
      write: async (bytes) => void parts.push(bytes.slice()),
      close: async () => void this.items.set(id, concat(parts)),
      abort: async () => undefined,
    };
  }

  async read(id: string, offset: number, length: number): Promise<Uint8Array> {
    const bytes = this.items.get(id);
    if (!bytes) throw new SpoolMissingError(`spooled item ${id} is gone`);
    return bytes.slice(offset, offset + length);
  }

  async remove(id: string): Promise<void> {
    this.items.delete(id);
  }

  async list(): Promise<string[]> {
    return [...this.items.keys()];
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}
