// The gram index of @corvid/sigma's literal search (packages/sigma/src/literal-search.ts, GramIndex): finds ASCII
// literals in ASCII text by looking up, at each position, the last two, three and four characters read. The tables are
// built in TypeScript and copied here; this module only reads them. One instance serves one index.
//
// Layout (all offsets set by `configure`):
//   pairs      i32 per pair of folded characters (first × 128 + second): 0, or 1 + where its list starts in entries
//   pairBits   u32 words, one bit per pair: whether it has a list
//   bits       u32 words of Bloom bits over the keys of three- and four-character grams
//   slotKeys   u32 per slot: key + 1, 0 for an empty slot
//   slotLists  i32 per slot: where its list starts in entries
//   entries    i32 lists: a count, then per literal (id, index of its anchor's last character, length, start in chars)
//   chars      u8 the characters of every literal indexed, one literal after the other
//   fold       u8[128] ASCII case folding
//   text       u8 the text to scan, written by the caller before each scan
//   out        i32 pairs (literal id, index of the occurrence's last character), up to outCapacity of them

let pairs: usize = 0;
let pairBits: usize = 0;
let bits: usize = 0;
let bitShift: u32 = 0;
let slotKeys: usize = 0;
let slotLists: usize = 0;
let slotMask: u32 = 0;
let slotShift: u32 = 0;
let entries: usize = 0;
let chars: usize = 0;
let fold: usize = 0;
let text: usize = 0;
let out: usize = 0;
let outCapacity: i32 = 0;

/** Marks three-character keys apart from four-character ones (7 bits per character, 28 bits). */
const TRIPLE_TAG: u32 = 1 << 28;
/** Knuth's multiplicative hash, as in literal-search.ts: the same keys must land in the same bits and slots. */
const GRAM_HASH: u32 = 0x9e3779b1;
const ENTRY_STRIDE = 4;

/** Room for the tables and buffers, 16-byte aligned (the module aborts when its memory cannot grow). */
export function allocate(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function release(pointer: usize): void {
  heap.free(pointer);
}

export function configure(
  pairsAt: usize, pairBitsAt: usize, bitsAt: usize, shiftOfBits: u32, slotKeysAt: usize, slotListsAt: usize, maskOfSlots: u32, shiftOfSlots: u32,
  entriesAt: usize, charsAt: usize, foldAt: usize,
): void {
  pairs = pairsAt;
  pairBits = pairBitsAt;
  bits = bitsAt;
  bitShift = shiftOfBits;
  slotKeys = slotKeysAt;
  slotLists = slotListsAt;
  slotMask = maskOfSlots;
  slotShift = shiftOfSlots;
  entries = entriesAt;
  chars = charsAt;
  fold = foldAt;
}

export function useBuffers(textAt: usize, outAt: usize, capacity: i32): void {
  text = textAt;
  out = outAt;
  outCapacity = capacity;
}

/** Notes the literals of the list at `list` whose anchor, ending at `end`, lies in an occurrence; returns the new count. */
// @ts-ignore: decorator
@inline function report(list: i32, end: i32, length: i32, count: i32): i32 {
  let at = list + 1;
  const stop = at + load<i32>(entries + (<usize>list << 2)) * ENTRY_STRIDE;
  for (; at < stop; at += ENTRY_STRIDE) {
    const entry = entries + (<usize>at << 2);
    const literalLength = load<i32>(entry, 8);
    const start = end - load<i32>(entry, 4);
    if (start < 0 || start + literalLength > length) continue;
    // The anchor's characters are known to match; a literal of up to four characters is all anchor.
    if (literalLength > 4) {
      const first = chars + <usize>load<i32>(entry, 12);
      let k = 0;
      while (k < literalLength && load<u8>(fold + <usize>load<u8>(text + <usize>(start + k))) == load<u8>(first + <usize>k)) k++;
      if (k < literalLength) continue;
    }
    if (count < outCapacity) {
      const slot = out + (<usize>count << 3);
      store<i32>(slot, load<i32>(entry));
      store<i32>(slot, start + literalLength - 1, 4);
    }
    count++;
  }
  return count;
}

// @ts-ignore: decorator
@inline function lookUp(key: u32, end: i32, length: i32, count: i32): i32 {
  let slot = (key * GRAM_HASH) >>> slotShift;
  while (true) {
    const stored = load<u32>(slotKeys + (<usize>slot << 2));
    if (stored == 0) return count;
    if (stored == key + 1) return report(load<i32>(slotLists + (<usize>slot << 2)), end, length, count);
    slot = (slot + 1) & slotMask;
  }
}

/**
 * Scans the first `length` bytes of the text buffer. Returns how many occurrences there are (those beyond the out
 * buffer's capacity are counted, not written: the caller scans again with more room), or -1 at a byte above 127.
 */
export function scan(length: i32): i32 {
  let gram: u32 = 0;
  let count = 0;
  for (let i = 0; i < length; i++) {
    const code = <u32>load<u8>(text + <usize>i);
    if (code > 127) return -1;
    gram = ((gram << 7) | <u32>load<u8>(fold + <usize>code)) & 0xfffffff;
    // Few positions end a pair with a list (about 4 % of command-line characters): a 2 KB bitset, which stays in the
    // fastest cache, spares most reads of the 64 KB pair table.
    const pair = gram & 0x3fff;
    if ((load<u32>(pairBits + (<usize>(pair >> 5) << 2)) & (1 << (pair & 31))) != 0) count = report(load<i32>(pairs + (<usize>pair << 2)) - 1, i, length, count);
    const triple = (gram & 0x1fffff) | TRIPLE_TAG;
    const tripleBit = (triple * GRAM_HASH) >>> bitShift;
    if ((load<u32>(bits + (<usize>(tripleBit >> 5) << 2)) & (1 << (tripleBit & 31))) != 0) count = lookUp(triple, i, length, count);
    const quadBit = (gram * GRAM_HASH) >>> bitShift;
    if ((load<u32>(bits + (<usize>(quadBit >> 5) << 2)) & (1 << (quadBit & 31))) != 0) count = lookUp(gram, i, length, count);
  }
  return count;
}
