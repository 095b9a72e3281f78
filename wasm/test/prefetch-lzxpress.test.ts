// The LZXPRESS Huffman decoder on streams built here, so every match-length form of [MS-XCA] 2.2.4
// (4-bit, +byte, +16-bit, +32-bit), multi-bit offsets, overlapping copies and a second 64 KiB block
// with its own table are exercised with known output.
import { describe, expect, it } from "vitest";
import { instantiateFormat } from "../src/load.ts";
import type { PrefetchExports } from "../src/prefetch.ts";

/**
 * Writes a stream the way the decoder reads it: bits fill 16-bit little-endian words (most significant
 * bit first), and the decoder fetches each word as soon as it runs low, so a word's slot is reserved in
 * the output at that moment. Extended match lengths are raw bytes placed after the slots fetched so far.
 */
class StreamWriter {
  private readonly bytes: number[] = [];
  private readonly slots: number[] = [];
  private readonly bits: number[] = [];
  private extraBits = 0;
  private codes = new Map<number, { code: number; length: number }>();

  /** Starts a block: its code-length table, then the two words the decoder fetches up front. */
  startBlock(codeLengths: number[]): void {
    this.flushBits();
    this.codes = canonicalCodes(codeLengths);
    for (let i = 0; i < 256; i++) this.bytes.push((codeLengths[2 * i] ?? 0) | ((codeLengths[2 * i + 1] ?? 0) << 4));
    this.reserveSlot();
    this.reserveSlot();
    this.extraBits = 16;
  }

  writeBits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bits.push((value >>> i) & 1);
    this.extraBits -= count;
    if (this.extraBits < 0) {
      this.reserveSlot();
      this.extraBits += 16;
    }
  }

  writeSymbol(symbol: number): void {
    const code = this.codes.get(symbol);
    if (!code) throw new Error(`symbol ${symbol} has no code in this block`);
    this.writeBits(code.code, code.length);
  }

  writeRaw(bytes: number[]): void {
    this.bytes.push(...bytes);
  }

  finish(): Uint8Array {
    this.flushBits();
    return Uint8Array.from(this.bytes);
  }

  private reserveSlot(): void {
    this.slots.push(this.bytes.length);
    this.bytes.push(0, 0);
  }

  /** Fills the reserved slots with the bits written so far; unused bits stay zero. */
  private flushBits(): void {
    this.slots.forEach((at, slot) => {
      let word = 0;
      for (let i = 0; i < 16; i++) word = (word << 1) | (this.bits[slot * 16 + i] ?? 0);
      this.bytes[at] = word & 0xff;
      this.bytes[at + 1] = word >>> 8;
    });
    this.slots.length = 0;
    this.bits.length = 0;
  }
}

/** Canonical Huffman codes: shorter codes first, equal lengths in symbol order. */
function canonicalCodes(codeLengths: number[]): Map<number, { code: number; length: number }> {
  const codes = new Map<number, { code: number; length: number }>();
  let code = 0;
  for (let length = 1; length <= 15; length++) {
    codeLengths.forEach((symbolLength, symbol) => {
      if (symbolLength === length) codes.set(symbol, { code: code++, length });
    });
    code <<= 1;
  }
  return codes;
}

/** Every symbol gets a 9-bit code. */
const FLAT_CODE_LENGTHS = Array.from({ length: 512 }, () => 9);

function writeLiteral(writer: StreamWriter, byte: number): void {
  writer.writeSymbol(byte);
}

/** `wide` forces the 32-bit length form, which the decoder accepts for any length of 18 or more. */
function writeMatch(writer: StreamWriter, offset: number, length: number, wide = false): void {
  const offsetBits = 31 - Math.clz32(offset);
  const lengthCode = length - 3;
  writer.writeSymbol(256 + (offsetBits << 4) + Math.min(lengthCode, 15));
  if (lengthCode >= 15) {
    if (wide || lengthCode > 0xffff) writer.writeRaw([255, 0, 0, ...[0, 8, 16, 24].map((shift) => (lengthCode >>> shift) & 0xff)]);
    else if (lengthCode - 15 < 255) writer.writeRaw([lengthCode - 15]);
    else writer.writeRaw([255, lengthCode & 0xff, lengthCode >>> 8]);
  }
  if (offsetBits > 0) writer.writeBits(offset - (1 << offsetBits), offsetBits);
}

function copyMatch(output: number[], offset: number, length: number): void {
  for (let i = 0; i < length; i++) output.push(output[output.length - offset] ?? -1);
}

/** Runs the MAM path of prefetch.wasm and returns the decompressed bytes and the parse status. */
async function decompressMam(stream: Uint8Array, uncompressedSize: number) {
  const exports = (await instantiateFormat("prefetch")).exports as unknown as PrefetchExports;
  const file = new Uint8Array(8 + stream.length);
  file.set([0x4d, 0x41, 0x4d, 0x04]);
  new DataView(file.buffer).setUint32(4, uncompressedSize, true);
  file.set(stream, 8);
  const input = exports.allocInput(file.length);
  new Uint8Array(exports.memory.buffer, input, file.length).set(file);
  const status = exports.parse(file.length);
  return {
    status,
    decompressed: exports.isCompressed() === 1,
    data: new Uint8Array(exports.memory.buffer, exports.dataPtr(), exports.dataLength()).slice(),
  };
}

describe("LZXPRESS Huffman decoder", () => {
  it("decodes literals, every match-length form and a second block", async () => {
    const writer = new StreamWriter();
    const expected: number[] = [];
    const literal = (byte: number) => {
      writeLiteral(writer, byte);
      expected.push(byte);
    };
    const match = (offset: number, length: number, wide = false) => {
      writeMatch(writer, offset, length, wide);
      copyMatch(expected, offset, length);
    };

    writer.startBlock(FLAT_CODE_LENGTHS);
    for (const byte of new TextEncoder().encode("Prefetch")) literal(byte);
    match(8, 8); // 4-bit length, 3 offset bits
    match(1, 12); // overlapping copy of the last byte
    match(16, 40); // length in one extra byte
    match(3, 1000); // length in an extra 16-bit word
    match(2, 65536 - 1000 - 40 - 12 - 8 - 8, true); // the rest of the block, length in an extra 32-bit word
    expect(expected.length).toBe(65536);

    // The second block has its own table: literal 'z' gets a 1-bit code, a 1-offset short match 2 bits.
    const second = Array.from({ length: 512 }, () => 0);
    second[0x7a] = 1;
    second[256 + 4] = 2; // offset bits 0, length 4 + 3
    second[256 + 0x10 * 15 + 1] = 2; // offset bits 15, length 1 + 3
    writer.startBlock(second);
    literal(0x7a);
    match(1, 7);
    match(40000, 4);
    literal(0x7a);

    const result = await decompressMam(writer.finish(), expected.length);
    expect(result.decompressed).toBe(true);
    // The bytes are not a Prefetch file, so the parse stops at the SCCA signature after decompressing.
    expect(result.status).toBe(1);
    expect(Array.from(result.data)).toEqual(expected);
  });

  it("rejects a match reaching before the start of the output", async () => {
    const writer = new StreamWriter();
    writer.startBlock(FLAT_CODE_LENGTHS);
    writeLiteral(writer, 0x41);
    writeMatch(writer, 2, 3);
    const result = await decompressMam(writer.finish(), 4);
    expect(result.decompressed).toBe(false);
    expect(result.status).toBe(1);
  });
});
