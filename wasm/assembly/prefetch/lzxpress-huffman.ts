// LZXPRESS Huffman decompression as specified in [MS-XCA] 2.1 and 2.2. Windows 10/11 store
// Prefetch files as a "MAM" container holding one such stream.
import { fail, failShort } from "./failure";

const STRUCTURE = "LZXPRESS Huffman block";
const SYMBOL_COUNT = 512;
const TABLE_BYTES = 256;
/** Each block of the stream decodes to this much output before a new Huffman table follows. */
const BLOCK_OUTPUT: i64 = 65536;
const MAX_CODE_BITS = 15;
const DECODE_ENTRIES = 1 << MAX_CODE_BITS;
const NO_SYMBOL: u16 = 0xffff;

const codeLengths = new StaticArray<u8>(SYMBOL_COUNT);
/** Maps every 15-bit prefix of the bit stream to the symbol whose code it starts with. */
const decodeTable = new StaticArray<u16>(DECODE_ENTRIES);

let input: usize = 0;
let inputEnd: usize = 0;
/** Offset of `input` inside the whole file, so errors point at file offsets. */
let fileOffsetOfInput: i64 = 0;

function fileOffset(at: usize): i64 {
  return fileOffsetOfInput + <i64>(at - input);
}

/** Reads 16 bits of the bit stream; past the end of input the stream reads as zero bits. */
function read16(at: usize): u32 {
  return at + 2 <= inputEnd ? <u32>load<u16>(at) : 0;
}

/** Builds the canonical Huffman decode table from the 256-byte table of 4-bit code lengths. */
function buildDecodeTable(table: usize): bool {
  for (let i = 0; i < TABLE_BYTES; i++) {
    const packed = load<u8>(table + i);
    unchecked((codeLengths[2 * i] = packed & 0x0f));
    unchecked((codeLengths[2 * i + 1] = packed >> 4));
  }
  let filled = 0;
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) {
    const span = 1 << (MAX_CODE_BITS - bits);
    for (let symbol = 0; symbol < SYMBOL_COUNT; symbol++) {
      if (<i32>unchecked(codeLengths[symbol]) != bits) continue;
      if (filled + span > DECODE_ENTRIES) return fail(STRUCTURE, fileOffset(table), "over-subscribed Huffman code lengths");
      for (let i = 0; i < span; i++) unchecked((decodeTable[filled + i] = <u16>symbol));
      filled += span;
    }
  }
  if (filled == 0) return fail(STRUCTURE, fileOffset(table), "Huffman table has no symbols");
  for (let i = filled; i < DECODE_ENTRIES; i++) unchecked((decodeTable[i] = NO_SYMBOL));
  return true;
}

/**
 * Decompresses `inputLength` bytes at `source` into exactly `outputLength` bytes at `target`.
 * Every iteration of the inner loop writes at least one byte, so work is bounded by `outputLength`.
 */
export function decompressXpressHuffman(
  source: usize,
  inputLength: i32,
  target: usize,
  outputLength: i32,
  sourceFileOffset: i64,
): bool {
  input = source;
  inputEnd = source + <usize>inputLength;
  fileOffsetOfInput = sourceFileOffset;
  const outputEnd = target + <usize>outputLength;
  let inPos = source;
  let outPos = target;

  while (outPos < outputEnd) {
    if (inPos + TABLE_BYTES + 4 > inputEnd) {
      return failShort(STRUCTURE, fileOffset(inPos), TABLE_BYTES + 4, <i64>(inputEnd - inPos));
    }
    if (!buildDecodeTable(inPos)) return false;
    inPos += TABLE_BYTES;
    let bits: u32 = (read16(inPos) << 16) | read16(inPos + 2);
    inPos += 4;
    // Bits held in `bits` beyond the 16 the decoder may need for one step.
    let extraBits: i32 = 16;
    const blockEnd = min<usize>(outPos + <usize>BLOCK_OUTPUT, outputEnd);

    while (outPos < blockEnd) {
      const symbol = <u32>unchecked(decodeTable[bits >> (32 - MAX_CODE_BITS)]);
      if (symbol == NO_SYMBOL) return fail(STRUCTURE, fileOffset(inPos), "bit pattern matches no Huffman code");
      const symbolBits = <i32>unchecked(codeLengths[symbol]);
      bits <<= symbolBits;
      extraBits -= symbolBits;
      if (extraBits < 0) {
        bits |= read16(inPos) << (-extraBits);
        extraBits += 16;
        inPos += 2;
      }
      if (symbol < 256) {
        store<u8>(outPos, <u8>symbol);
        outPos++;
        continue;
      }
      let matchLength = (symbol - 256) & 15;
      const offsetBits = <i32>((symbol - 256) >> 4);
      if (matchLength == 15) {
        if (inPos + 1 > inputEnd) return failShort(STRUCTURE, fileOffset(inPos), 1, 0);
        matchLength = <u32>load<u8>(inPos);
        inPos += 1;
        if (matchLength == 255) {
          if (inPos + 2 > inputEnd) return failShort(STRUCTURE, fileOffset(inPos), 2, <i64>(inputEnd - inPos));
          matchLength = <u32>load<u16>(inPos);
          inPos += 2;
          if (matchLength == 0) {
            if (inPos + 4 > inputEnd) return failShort(STRUCTURE, fileOffset(inPos), 4, <i64>(inputEnd - inPos));
            matchLength = load<u32>(inPos);
            inPos += 4;
          }
          if (matchLength < 15) return fail(STRUCTURE, fileOffset(inPos), "extended match length below 15");
          matchLength -= 15;
        }
        matchLength += 15;
      }
      matchLength += 3;
      // A shift by 32 is a shift by 0 in wasm, so a zero-bit offset is handled apart.
      let matchOffset: u32 = 1 << offsetBits;
      if (offsetBits > 0) {
        matchOffset += bits >> (32 - offsetBits);
        bits <<= offsetBits;
        extraBits -= offsetBits;
        if (extraBits < 0) {
          bits |= read16(inPos) << (-extraBits);
          extraBits += 16;
          inPos += 2;
        }
      }
      if (<usize>matchOffset > outPos - target) {
        return fail(STRUCTURE, fileOffset(inPos), "match offset points before the start of the output");
      }
      if (<u64>matchLength > <u64>(outputEnd - outPos)) {
        return fail(STRUCTURE, fileOffset(inPos), "match runs past the declared uncompressed size");
      }
      // Matches may overlap their own output, so copy forwards byte by byte.
      const from = outPos - <usize>matchOffset;
      for (let i: usize = 0; i < <usize>matchLength; i++) store<u8>(outPos + i, load<u8>(from + i));
      outPos += <usize>matchLength;
    }
    // Bit reads past the input read as zeros; a stream that needed more than its padding is cut short.
    if (inPos > inputEnd + 4) {
      return failShort(STRUCTURE, fileOffset(inputEnd), <i64>(inPos - inputEnd), 0);
    }
  }
  return true;
}
