/**
 * Inputs the parsers accept: the whole file in memory, a stream of pieces (a Node read stream, a
 * `ReadableStream` in browsers), or a random-access reader (a `Blob`/`File` slice, a Node file handle).
 */
export interface RandomAccessReader {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | RandomAccessReader;

/** A `Blob`/`File` as a random-access reader (no whole-file read). */
export function blobReader(blob: Blob): RandomAccessReader {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

function isRandomAccess(source: ByteSource): source is RandomAccessReader {
  return typeof (source as RandomAccessReader).read === "function" && typeof (source as RandomAccessReader).size === "number";
}

/**
 * Yields the input as one block of `firstSize` bytes followed by blocks of `blockSize` bytes (the last
 * one may be shorter). Only one block is held at a time, whatever the input size.
 */
export async function* fixedBlocks(source: ByteSource, firstSize: number, blockSize: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    let offset = 0;
    for (let size = firstSize; offset < source.length; size = blockSize) {
      yield source.subarray(offset, offset + size);
      offset += size;
    }
    return;
  }
  if (isRandomAccess(source)) {
    let offset = 0;
    for (let size = firstSize; offset < source.size; size = blockSize) {
      const block = await source.read(offset, Math.min(size, source.size - offset));
      if (block.length === 0) return;
      yield block;
      offset += size;
    }
    return;
  }
  let block = new Uint8Array(firstSize);
  let filled = 0;
  for await (const piece of source) {
    let used = 0;
    while (used < piece.length) {
      const take = Math.min(block.length - filled, piece.length - used);
      block.set(piece.subarray(used, used + take), filled);
      filled += take;
      used += take;
      if (filled === block.length) {
        yield block;
        block = new Uint8Array(blockSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}
