/**
 * Finding many lower-cased literals in field values in one pass, ASCII letters folded while reading: an Aho-Corasick
 * automaton (which reads ASCII text with a gram index when its table is too large to stay in the caches), a Wu-Manber
 * style skip check that rejects most values without reading every character, and on top of them the matcher for long
 * value lists inside a rule. The prefilter scans fields with the same two structures.
 */
import type { Atom } from "./prefilter.ts";

/**
 * Called for each literal occurrence: literal id, index of its last character, length of the text scanned; true stops
 * the scan. Occurrences come in no particular order, and one may be reported twice (see `AhoCorasick.scan`).
 */
export type OccurrenceVisitor = (id: number, last: number, textLength: number) => boolean;

/** ASCII case folding: scans read field values as they are and fold A-Z here instead of lower-casing every value. */
const FOLD_ASCII = Uint8Array.from({ length: 128 }, (_, code) => (code >= 65 && code <= 90 ? code + 32 : code));

/**
 * The only characters outside ASCII whose lower case matters to ASCII literals: the Kelvin sign lower-cases to "k",
 * and "İ" to "i" plus a combining dot, two code units that shift every later position. Every other code unit
 * lower-cases to one code unit outside ASCII (checked by a test over all of Unicode), which no ASCII literal holds.
 */
const KELVIN_SIGN = 0x212a;
const DOTTED_CAPITAL_I = 0x130;
const DOTTED_CAPITAL_I_LOWER_CASE = "\u0130".toLowerCase();
const LOWER_K = 107;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

/** Largest transition table built (entries); bigger automata walk their trie with fail links instead. */
const MAX_TABLE_ENTRIES = 4_000_000;
/** Texts at least this long are read as four quarters at once (`scanQuarters`); shorter ones gain less than the set-up costs. */
const QUARTERS_MINIMUM_LENGTH = 64;

/** Automata whose transition table is larger than this find ASCII literals in ASCII text with a GramIndex, given a scanner. */
const GRAM_INDEX_MINIMUM_TABLE_BYTES = 1024 * 1024;
/** Marks three-character keys apart from four-character ones (7 bits per character, 28 bits). */
const TRIPLE_TAG = 1 << 28;
/** Knuth's multiplicative hash (2^32 divided by the golden ratio): its high bits index the Bloom bits and the slots. */
const GRAM_HASH = 0x9e3779b1;
/** An entry of a gram index list: literal id, index of its anchor's last character, length, start in the characters. */
const ENTRY_STRIDE = 4;

/** The folded characters of `literal` ending at `end`, `size` of them, 7 bits each. */
function gramKey(literal: string, end: number, size: number): number {
  let key = 0;
  for (let i = end - size + 1; i <= end; i++) key = (key << 7) | literal.charCodeAt(i);
  return key;
}

function pushTo(map: Map<number, number[]>, key: number, items: readonly number[]): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [...items]);
  else list.push(...items);
}

/**
 * A compiled `grams` module of @corvid/wasm (`compileGramScanner`), instantiated once per large automaton. Without one,
 * large automata read every text through their transition table.
 */
export type GramScanner = WebAssembly.Module;

/** What the gram scanner module exports (wasm/assembly/grams/index.ts). */
interface GramScannerExports {
  memory: WebAssembly.Memory;
  allocate(bytes: number): number;
  release(pointer: number): void;
  configure(
    pairs: number, pairBits: number, bits: number, bitShift: number, slotKeys: number, slotLists: number, slotMask: number, slotShift: number,
    entries: number, chars: number, fold: number,
  ): void;
  useBuffers(text: number, out: number, capacity: number): void;
  scan(length: number): number;
}

/** Characters and occurrences the first buffers hold; both grow on demand. */
const GRAM_TEXT_CAPACITY = 4096;
const GRAM_OUT_CAPACITY = 1024;
const textEncoder = new TextEncoder();

/**
 * Finds ASCII literals in ASCII text by looking up, at each position, the last two, three and four characters read, in
 * tables of a few dozen kilobytes. Between two events, other work evicts an automaton's table from the caches, and its
 * walk is a chain of dependent reads that each wait on memory (the command-line table has tens of thousands of rows,
 * megabytes). Here the reads at one position do not depend on those before it, so the processor overlaps their misses.
 * Literals of one to three characters are looked up whole; longer ones by one four-character anchor, the one the fewest
 * literals share, then compared character by character. An occurrence has one anchor, so it is reported once.
 * The tables are built here and read by WebAssembly (ADR 016): the same scan in JavaScript cost 0.06 ms more per pass of
 * the 137 EVTX sample records, most of it in the command-line scans.
 */
class GramIndex {
  private readonly wasm: GramScannerExports;
  private textAt = 0;
  private textCapacity = 0;
  private outAt = 0;
  private outCapacity = 0;
  /** Views of the module's memory, made again whenever it grows (which detaches the old buffer). */
  private textView = new Uint8Array(0);
  private outView = new Int32Array(0);

  /** Undefined when an ASCII literal holds NUL, which the grams read before the first character of a text. */
  static of(literals: readonly string[], scanner: GramScanner): GramIndex | undefined {
    return literals.some((literal) => isAscii(literal) && literal.includes("\u0000")) ? undefined : new GramIndex(literals, scanner);
  }

  private constructor(literals: readonly string[], scanner: GramScanner) {
    const anchorsOf = (literal: string): number[] => {
      const keys: number[] = [];
      for (let end = 3; end < literal.length; end++) keys.push(gramKey(literal, end, 4));
      return keys;
    };
    const sharedBy = new Map<number, number>();
    for (const literal of literals) {
      if (literal.length < 4 || !isAscii(literal)) continue;
      for (const key of new Set(anchorsOf(literal))) sharedBy.set(key, (sharedBy.get(key) ?? 0) + 1);
    }
    const byPair = new Map<number, number[]>();
    const byGram = new Map<number, number[]>();
    const chars: number[] = [];
    literals.forEach((literal, id) => {
      if (!isAscii(literal)) return;
      const entry = (anchorEnd: number) => [id, anchorEnd, literal.length, chars.length];
      if (literal.length === 1) {
        for (let before = 0; before < 128; before++) pushTo(byPair, before * 128 + literal.charCodeAt(0), entry(0));
      } else if (literal.length === 2) pushTo(byPair, gramKey(literal, 1, 2), entry(1));
      else if (literal.length === 3) pushTo(byGram, gramKey(literal, 2, 3) | TRIPLE_TAG, entry(2));
      else {
        const keys = anchorsOf(literal);
        let best = 0;
        for (let k = 1; k < keys.length; k++) if (sharedBy.get(keys[k]!)! < sharedBy.get(keys[best]!)!) best = k;
        pushTo(byGram, keys[best]!, entry(best + 3));
      }
      for (let i = 0; i < literal.length; i++) chars.push(literal.charCodeAt(i));
    });
    const entries: number[] = [];
    const listOf = (items: readonly number[]): number => {
      entries.push(items.length / ENTRY_STRIDE, ...items);
      return entries.length - items.length - 1;
    };
    const pairs = new Int32Array(128 * 128);
    const pairBits = new Int32Array((128 * 128) >> 5);
    for (const [pair, items] of byPair) {
      pairs[pair] = listOf(items) + 1;
      pairBits[pair >> 5]! |= 1 << (pair & 31);
    }
    // About 64 bits per key: a position's two lookups rarely hit a key that is not there.
    const bitsLog = Math.min(20, Math.max(10, Math.ceil(Math.log2(byGram.size * 64 + 1))));
    const gramBits = new Int32Array((1 << bitsLog) >> 5);
    const bitShift = 32 - bitsLog;
    const slotsLog = Math.max(4, Math.ceil(Math.log2(byGram.size * 2 + 1)));
    const slotKeys = new Int32Array(1 << slotsLog);
    const slotLists = new Int32Array(1 << slotsLog);
    const slotMask = (1 << slotsLog) - 1;
    const slotShift = 32 - slotsLog;
    for (const [key, items] of byGram) {
      const hash = Math.imul(key, GRAM_HASH);
      const bit = hash >>> bitShift;
      gramBits[bit >> 5]! |= 1 << (bit & 31);
      let slot = hash >>> slotShift;
      while (slotKeys[slot] !== 0) slot = (slot + 1) & slotMask;
      slotKeys[slot] = key + 1;
      slotLists[slot] = listOf(items);
    }
    const instance = new WebAssembly.Instance(scanner, {
      env: {
        abort(_message: number, _file: number, line: number, column: number): never {
          throw new Error(`grams.wasm aborted at ${line}:${column}`);
        },
      },
    });
    this.wasm = instance.exports as unknown as GramScannerExports;
    const copy = (table: Int32Array | Uint8Array): number => {
      const at = this.wasm.allocate(table.byteLength);
      new Uint8Array(this.wasm.memory.buffer, at, table.byteLength).set(new Uint8Array(table.buffer, table.byteOffset, table.byteLength));
      return at;
    };
    this.wasm.configure(
      copy(pairs), copy(pairBits), copy(gramBits), bitShift, copy(slotKeys), copy(slotLists), slotMask, slotShift,
      copy(Int32Array.from(entries)), copy(Uint8Array.from(chars)), copy(FOLD_ASCII),
    );
    this.useBuffers(GRAM_TEXT_CAPACITY, GRAM_OUT_CAPACITY);
  }

  /** Replaces the text and occurrence buffers by larger ones (at least these capacities). */
  private useBuffers(textCapacity: number, outCapacity: number): void {
    const { wasm } = this;
    if (textCapacity > this.textCapacity) {
      if (this.textAt !== 0) wasm.release(this.textAt);
      this.textAt = wasm.allocate(textCapacity);
      this.textCapacity = textCapacity;
    }
    if (outCapacity > this.outCapacity) {
      if (this.outAt !== 0) wasm.release(this.outAt);
      this.outAt = wasm.allocate(outCapacity * 8);
      this.outCapacity = outCapacity;
    }
    wasm.useBuffers(this.textAt, this.outAt, this.outCapacity);
    this.textView = new Uint8Array(wasm.memory.buffer, this.textAt, this.textCapacity);
    this.outView = new Int32Array(wasm.memory.buffer, this.outAt, 2 * this.outCapacity);
  }

  /** Like `AhoCorasick.scan` on a text read as it is; undefined, having reported nothing, when the text is not all ASCII. */
  scan(text: string, visit: OccurrenceVisitor): boolean | undefined {
    if (text.length > this.textCapacity) this.useBuffers(2 ** Math.ceil(Math.log2(text.length)), this.outCapacity);
    // UTF-8 is ASCII byte for byte, and any other character makes it longer than the text.
    const { read, written } = textEncoder.encodeInto(text, this.textView);
    if (read !== text.length || written !== text.length) return undefined;
    let count = this.wasm.scan(text.length);
    if (count < 0) return undefined;
    if (count > this.outCapacity) {
      // The text stays where it is: growing memory keeps its contents.
      this.useBuffers(this.textCapacity, count);
      count = this.wasm.scan(text.length);
    }
    const out = this.outView;
    for (let k = 0; k < count; k++) if (visit(out[2 * k]!, out[2 * k + 1]!, text.length)) return true;
    return false;
  }
}

export class AhoCorasick {
  /**
   * States are numbered for the scans: states without output that ASCII text reaches come first, depth-first; then
   * states only non-ASCII text reaches (thousands of emoji literals); then every state that recognises literals, so
   * "has output" is one comparison with firstOutputState. Between two events, other work evicts the tables from the
   * caches, and a scan waits on memory for most rows it reads: in depth-first order, a walk along a literal reads
   * consecutive rows, which share cache lines and which the hardware prefetches (breadth-first order scattered them
   * over the whole table: bench:sigma:ab measured 0.12 to 0.16 ms more per pass of 137 records).
   */
  private readonly transitions: Map<number, number>[];
  private readonly fail: Int32Array;
  private readonly firstOutputState: number;
  /** Literal ids recognised in state s: outputIds[outputStart[s] .. outputStart[s + 1]). Flat, so scans stay in typed arrays. */
  private readonly outputStart: Int32Array;
  private readonly outputIds: Int32Array;
  /** Per state: how many characters it stands for (its depth in the trie); per literal: its length. */
  private readonly depth: Int32Array;
  private readonly literalLength: Int32Array;
  /**
   * Deterministic transitions per (state, ASCII character class); class 0 stands for ASCII characters no literal
   * contains. Only ASCII gets a column: a few rules (homoglyphs, encodings) bring hundreds of distinct non-ASCII
   * characters, which would make the table too large; those rare characters walk the fail links (`step`).
   */
  private readonly table: Uint16Array | Int32Array | undefined;
  private readonly classCount: number = 0;
  private readonly asciiClass = new Uint16Array(128);
  /** Whether every literal is ASCII: then other characters need no lower-casing, only their own class (see KELVIN_SIGN). */
  private readonly asciiLiterals: boolean;
  /** For automata too large to stay in the caches: scans ASCII text instead of the table. */
  private readonly grams: GramIndex | undefined;

  /** @param gramScanner reads ASCII texts of large automata by grams (GramIndex) */
  constructor(literals: readonly string[], gramScanner?: GramScanner) {
    this.asciiLiterals = literals.every(isAscii);
    const trie: Map<number, number>[] = [new Map()];
    const outputsOf: number[][] = [[]];
    const asciiCodes: number[] = [];
    const asciiSeen = new Uint8Array(128);
    literals.forEach((literal, id) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const code = literal.charCodeAt(i);
        let next = trie[state]!.get(code);
        if (next === undefined) {
          next = trie.length;
          trie.push(new Map());
          outputsOf.push([]);
          trie[state]!.set(code, next);
        }
        state = next;
        if (code < 128 && !asciiSeen[code]) {
          asciiSeen[code] = 1;
          asciiCodes.push(code);
        }
      }
      outputsOf[state]!.push(id);
    });
    const count = trie.length;
    const breadthFirst = [0];
    const reachedByAscii = new Uint8Array(count);
    const trieDepth = new Int32Array(count);
    reachedByAscii[0] = 1;
    for (let head = 0; head < breadthFirst.length; head++) {
      const state = breadthFirst[head]!;
      for (const [code, next] of trie[state]!) {
        reachedByAscii[next] = reachedByAscii[state]! & (code < 128 ? 1 : 0);
        trieDepth[next] = trieDepth[state]! + 1;
        breadthFirst.push(next);
      }
    }
    // Fail links, and the outputs they inherit, come from shallower states: breadth-first order has those ready.
    const trieFail = new Int32Array(count);
    for (const state of breadthFirst) {
      for (const [code, next] of trie[state]!) {
        let fallback = state === 0 ? -1 : trieFail[state]!;
        let target: number | undefined;
        while (fallback >= 0 && (target = trie[fallback]!.get(code)) === undefined) fallback = fallback === 0 ? -1 : trieFail[fallback]!;
        trieFail[next] = target !== undefined && target !== next ? target : 0;
        outputsOf[next] = outputsOf[next]!.concat(outputsOf[trieFail[next]!]!);
      }
    }
    const silent = (state: number) => outputsOf[state]!.length === 0;
    const depthFirst: number[] = [];
    const stack = [0];
    // Children pushed in reverse, so they are numbered in the order their literals were added.
    while (stack.length > 0) {
      const state = stack.pop()!;
      depthFirst.push(state);
      const children = [...trie[state]!.values()];
      for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]!);
    }
    const order = [
      ...depthFirst.filter((state) => silent(state) && reachedByAscii[state] === 1),
      ...depthFirst.filter((state) => silent(state) && reachedByAscii[state] === 0),
      ...depthFirst.filter((state) => !silent(state)),
    ];
    this.firstOutputState = breadthFirst.filter(silent).length;
    const rank = new Int32Array(count);
    order.forEach((old, state) => (rank[old] = state));
    this.transitions = order.map((old) => new Map([...trie[old]!].map(([code, next]) => [code, rank[next]!])));
    this.fail = Int32Array.from(order, (old) => rank[trieFail[old]!]!);
    this.depth = Int32Array.from(order, (old) => trieDepth[old]!);
    this.literalLength = Int32Array.from(literals, (literal) => literal.length);
    this.outputStart = new Int32Array(count + 1);
    order.forEach((old, state) => (this.outputStart[state + 1] = this.outputStart[state]! + outputsOf[old]!.length));
    this.outputIds = Int32Array.from(order.flatMap((old) => outputsOf[old]!));
    asciiCodes.forEach((code, index) => {
      this.asciiClass[code] = index + 1;
      // Literals are lower-cased, so an upper-case letter in the text behaves like its lower case.
      if (code >= 97 && code <= 122) this.asciiClass[code - 32] = index + 1;
    });
    const width = asciiCodes.length + 1;
    this.classCount = width;
    if (gramScanner !== undefined && (count * width > MAX_TABLE_ENTRIES || count * width * 2 >= GRAM_INDEX_MINIMUM_TABLE_BYTES)) {
      this.grams = GramIndex.of(literals, gramScanner);
    }
    if (count * width > MAX_TABLE_ENTRIES) return;
    // Two-byte entries keep more rows in cache; the command-line automaton has tens of thousands of states.
    const table = count <= 0xffff ? new Uint16Array(count * width) : new Int32Array(count * width);
    for (const old of breadthFirst) {
      const state = rank[old]!;
      for (let charClass = 1; charClass < width; charClass++) {
        const direct = this.transitions[state]!.get(asciiCodes[charClass - 1]!);
        table[state * width + charClass] = direct ?? (state === 0 ? 0 : table[this.fail[state]! * width + charClass]!);
      }
    }
    this.table = table;
  }

  /**
   * Reports each occurrence of a literal as (literal id, index of its last character, length of the text scanned)
   * until `visit` returns true, and then returns true. ASCII letters are folded while reading; a text with other
   * characters is lower-cased and scanned again unless `lowerCased`, because their case mappings can change lengths.
   * Occurrences reported before the first such character was met are reported again by the second scan; they held in
   * the lower-cased text too, since ASCII characters keep their places relative to each other.
   */
  scan(text: string, lowerCased: boolean, visit: OccurrenceVisitor): boolean {
    if (this.grams !== undefined) return this.grams.scan(text, visit) ?? this.scanWithOtherCharacters(text, lowerCased, visit);
    if (this.table !== undefined && text.length >= QUARTERS_MINIMUM_LENGTH) return this.scanQuarters(this.table, text, lowerCased, visit);
    return this.scanInOrder(text, lowerCased, visit);
  }

  private scanInOrder(text: string, lowerCased: boolean, visit: OccurrenceVisitor): boolean {
    const { firstOutputState, table, classCount, asciiClass } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 127 && !lowerCased) return this.scanWithOtherCharacters(text, lowerCased, visit);
      // The table is read here rather than through step(): a call per character costs more than the lookup.
      state = code < 128 && table !== undefined ? table[state * classCount + asciiClass[code]!]! : this.step(state, code);
      if (state >= firstOutputState && this.report(state, i, text.length, 0, visit)) return true;
    }
    return false;
  }

  /**
   * Each character's table lookup depends on the previous one, so a single walk mostly waits on memory: four walks,
   * one per quarter of the text, advanced together, overlap their waits (about 1.6 times faster on command lines).
   * Each walk then reads on into the next quarter while its state stands for more characters than it has read there,
   * reporting only literals that began in its own quarter: every occurrence is reported once.
   */
  private scanQuarters(table: Uint16Array | Int32Array, text: string, lowerCased: boolean, visit: OccurrenceVisitor): boolean {
    const { firstOutputState, classCount, asciiClass } = this;
    const length = text.length;
    const quarter = length >> 2;
    let first = 0;
    let second = 0;
    let third = 0;
    let fourth = 0;
    for (let i = 0; i < quarter; i++) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + quarter);
      const c = text.charCodeAt(i + 2 * quarter);
      const d = text.charCodeAt(i + 3 * quarter);
      if ((a | b | c | d) > 127) return this.scanWithOtherCharacters(text, lowerCased, visit);
      first = table[first * classCount + asciiClass[a]!]!;
      second = table[second * classCount + asciiClass[b]!]!;
      third = table[third * classCount + asciiClass[c]!]!;
      fourth = table[fourth * classCount + asciiClass[d]!]!;
      if (first >= firstOutputState && this.report(first, i, length, 0, visit)) return true;
      if (second >= firstOutputState && this.report(second, i + quarter, length, 0, visit)) return true;
      if (third >= firstOutputState && this.report(third, i + 2 * quarter, length, 0, visit)) return true;
      if (fourth >= firstOutputState && this.report(fourth, i + 3 * quarter, length, 0, visit)) return true;
    }
    for (let i = 4 * quarter; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 127) return this.scanWithOtherCharacters(text, lowerCased, visit);
      fourth = table[fourth * classCount + asciiClass[code]!]!;
      if (fourth >= firstOutputState && this.report(fourth, i, length, 0, visit)) return true;
    }
    return (
      this.readOn(table, text, first, quarter, visit) || this.readOn(table, text, second, 2 * quarter, visit) || this.readOn(table, text, third, 3 * quarter, visit)
    );
  }

  /**
   * A text with non-ASCII characters, which have no column in the table: lower-cased and scanned again, or, if it is
   * lower-cased already, walked in order with step() for those characters.
   */
  private scanWithOtherCharacters(text: string, lowerCased: boolean, visit: OccurrenceVisitor): boolean {
    if (this.asciiLiterals && this.table !== undefined && (lowerCased || !text.includes("\u0130"))) return this.scanAsciiLiterals(this.table, text, visit);
    return lowerCased ? this.scanInOrder(text, true, visit) : this.scan(text.toLowerCase(), true, visit);
  }

  private scanAsciiLiterals(table: Uint16Array | Int32Array, text: string, visit: OccurrenceVisitor): boolean {
    const { firstOutputState, classCount, asciiClass } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      const charClass = code < 128 ? asciiClass[code]! : code === KELVIN_SIGN ? asciiClass[LOWER_K]! : 0;
      state = table[state * classCount + charClass]!;
      if (state >= firstOutputState && this.report(state, i, text.length, 0, visit)) return true;
    }
    return false;
  }

  /** Continues a walk of ASCII `text` past `boundary` until the next walk, started there, knows all it would find. */
  private readOn(table: Uint16Array | Int32Array, text: string, state: number, boundary: number, visit: OccurrenceVisitor): boolean {
    const { firstOutputState, classCount, asciiClass, depth } = this;
    for (let i = boundary; i < text.length; i++) {
      state = table[state * classCount + asciiClass[text.charCodeAt(i)]!]!;
      const readHere = i - boundary + 1;
      if (depth[state]! <= readHere) return false;
      if (state >= firstOutputState && this.report(state, i, text.length, readHere, visit)) return true;
    }
    return false;
  }

  /** Visits the literals recognised in `state` at `last` that are longer than `longerThan`. */
  private report(state: number, last: number, textLength: number, longerThan: number, visit: OccurrenceVisitor): boolean {
    const { outputStart, outputIds, literalLength } = this;
    for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
      const id = outputIds[k]!;
      // Every literal is longer than 0: most reports need not read its length.
      if ((longerThan === 0 || literalLength[id]! > longerThan) && visit(id, last, textLength)) return true;
    }
    return false;
  }

  /** The state after reading a non-ASCII `code` (lower-cased) or, without a table, any character, in `state`. */
  private step(state: number, code: number): number {
    if (code < 128) {
      if (this.table !== undefined) return this.table[state * this.classCount + this.asciiClass[code]!]!;
      code = FOLD_ASCII[code]!;
    }
    let next = this.transitions[state]!.get(code);
    while (next === undefined && state !== 0) {
      state = this.fail[state]!;
      next = this.transitions[state]!.get(code);
    }
    return next ?? 0;
  }
}

/** Shortest literal length from which a skip check pays off: with shorter literals it rarely skips far. */
const SKIP_MINIMUM_LENGTH = 5;
/** Mean shift, as a share of the longest possible, below which a skip check costs more than it spares. */
const SKIP_MINIMUM_SHIFT_SHARE = 0.2;
/** Shortest literal length from which a skip check may read blocks of four characters (see `SkipCheck.of`). */
const QUAD_BLOCK_MINIMUM_LENGTH = 12;
/** Blocks of four characters are hashed into a table of 2^16 shifts. */
const QUAD_BLOCK_TABLE_BITS = 16;

/**
 * A Wu-Manber style check "does any of these literals occur in the text", which looks at one block of two (or four)
 * characters per window of the shortest literal's length and usually jumps several characters ahead.
 * Most field values contain none of a rule set's literals, so the Aho-Corasick pass (which must read
 * every character) runs only when this check finds one. Non-ASCII blocks are treated as possible hits.
 */
export class SkipCheck {
  private readonly window: number;
  /** Per block of ASCII characters (a pair as is, four characters hashed): how far the window may move when it ends it. */
  private readonly shifts: Uint8Array;
  /**
   * For checks by pairs, the same shifts indexed by the pair as the text has it, both cases filled in: the loop that
   * keyword scans run over every value of every event then reads one table per window, not three.
   */
  private readonly asciiPairShifts: Uint8Array | undefined;
  /** Per block with shift 0: the literals whose first `window` characters end with that block. */
  private readonly endingWith = new Map<number, string[]>();
  /**
   * An ASCII code no literal holds, read in place of non-ASCII characters when every literal is ASCII (see
   * KELVIN_SIGN); -1 when there is none, and such characters count as possible hits.
   */
  private readonly absentCode: number;

  /**
   * Whether a literal holds "i̇" (U+0130 lower-cased): written "İ" in a text, its occurrence is a code unit shorter than
   * the literal, which windows over the text as it is cannot see. Such texts are then always possible hits.
   */
  private readonly dottedI: boolean;

  constructor(
    literals: readonly string[],
    private readonly block: 2 | 4 = 2,
  ) {
    const window = Math.min(...literals.map((l) => l.length), 255);
    this.window = window;
    this.dottedI = literals.some((literal) => literal.includes(DOTTED_CAPITAL_I_LOWER_CASE));
    const used = new Set(literals.join(""));
    this.absentCode = literals.every(isAscii) ? FOLD_ASCII.findIndex((_, code) => !used.has(String.fromCharCode(code))) : -1;
    this.shifts = new Uint8Array(block === 2 ? 128 * 128 : 1 << QUAD_BLOCK_TABLE_BITS).fill(window - block + 1);
    for (const literal of literals) {
      for (let end = block - 1; end < window; end++) {
        const index = this.blockAt(literal, end);
        if (index < 0) continue;
        const shift = window - 1 - end;
        if (shift < this.shifts[index]!) this.shifts[index] = shift;
        if (shift === 0) this.endingWith.set(index, [...(this.endingWith.get(index) ?? []), literal]);
      }
    }
    if (block === 2) {
      this.asciiPairShifts = new Uint8Array(128 * 128);
      for (let pair = 0; pair < 128 * 128; pair++) this.asciiPairShifts[pair] = this.shifts[FOLD_ASCII[pair >> 7]! * 128 + FOLD_ASCII[pair & 127]!]!;
    }
  }

  /**
   * A skip check for these literals when it pays: they must all be long, and values that resemble them must leave it
   * room to skip. Hundreds of hex hashes use up every pair of hex digits: on a hash value a check by pairs would move one
   * character at a time and compare literals at most of them, twice as slow as the automaton alone; blocks of four
   * characters still skip far on them.
   */
  static of(literals: readonly string[]): SkipCheck | undefined {
    if (literals.length === 0 || !literals.every((l) => l.length >= SKIP_MINIMUM_LENGTH)) return undefined;
    const pairs = new SkipCheck(literals, 2);
    if (pairs.paysOver(literals)) return pairs;
    if (!literals.every((l) => l.length >= QUAD_BLOCK_MINIMUM_LENGTH)) return undefined;
    const quads = new SkipCheck(literals, 4);
    return quads.paysOver(literals) ? quads : undefined;
  }

  /** Whether the mean shift at the blocks of `texts` is a large enough share of the longest shift. */
  private paysOver(texts: readonly string[]): boolean {
    let total = 0;
    let blocks = 0;
    for (const text of texts) {
      for (let end = this.block - 1; end < text.length; end++) {
        const index = this.blockAt(text, end);
        if (index < 0) continue;
        total += this.shifts[index]!;
        blocks++;
      }
    }
    return blocks > 0 && total / blocks >= SKIP_MINIMUM_SHIFT_SHARE * (this.window - this.block + 1);
  }

  /** Index in `shifts` of the block ending at `end` once lower-cased, or -1 when it cannot be told without lower-casing the text. */
  private blockAt(text: string, end: number): number {
    const first = text.charCodeAt(end - 1);
    const second = text.charCodeAt(end);
    // The pair alone, read inline: keyword scans check every value of every event by pairs.
    const pair = (first | second) > 127 ? this.foldedPair(first, second) : FOLD_ASCII[first]! * 128 + FOLD_ASCII[second]!;
    return this.block === 2 || pair < 0 ? pair : this.quadAt(text, end, pair);
  }

  /** The hashed index of the four characters ending at `end`, the last two of which fold to `pair`; -1 as for blockAt. */
  private quadAt(text: string, end: number, pair: number): number {
    const before = this.foldedPair(text.charCodeAt(end - 3), text.charCodeAt(end - 2));
    return before < 0 ? -1 : Math.imul(before * 16384 + pair, GRAM_HASH) >>> (32 - QUAD_BLOCK_TABLE_BITS);
  }

  private foldedPair(first: number, second: number): number {
    const a = this.foldedCode(first);
    const b = this.foldedCode(second);
    return a < 0 || b < 0 ? -1 : a * 128 + b;
  }

  private foldedCode(code: number): number {
    return code < 128 ? FOLD_ASCII[code]! : code === KELVIN_SIGN ? LOWER_K : code === DOTTED_CAPITAL_I ? -1 : this.absentCode;
  }

  /** False only when no literal occurs in `text` (ASCII letters compared case-insensitively). */
  mayContain(text: string): boolean {
    if (this.dottedI && text.includes("\u0130")) return true;
    const asciiPairShifts = this.asciiPairShifts;
    if (asciiPairShifts === undefined) return this.mayContainFrom(text, this.window - 1);
    const length = text.length;
    for (let end = this.window - 1; end < length; ) {
      const first = text.charCodeAt(end - 1);
      const second = text.charCodeAt(end);
      if ((first | second) > 127) return this.mayContainFrom(text, end);
      const shift = asciiPairShifts[(first << 7) | second]!;
      if (shift > 0) end += shift;
      // Comparing literals is rare: kept out of the loop, which keyword scans run over every value of every event.
      else if (this.windowHolds(text, end, this.blockAt(text, end))) return true;
      else end++;
    }
    return false;
  }

  /** mayContain for the windows ending at `end` and after, with blocks of any characters. */
  private mayContainFrom(text: string, end: number): boolean {
    const shifts = this.shifts;
    while (end < text.length) {
      const index = this.blockAt(text, end);
      if (index < 0) return true;
      const shift = shifts[index]!;
      if (shift > 0) end += shift;
      else if (this.windowHolds(text, end, index)) return true;
      else end++;
    }
    return false;
  }

  /** Whether a literal whose first `window` characters end with the block `index` starts where the window ending at `end` does. */
  private windowHolds(text: string, end: number, index: number): boolean {
    const start = end - this.window + 1;
    for (const literal of this.endingWith.get(index)!) if (equalsFolded(text, start, literal)) return true;
    return false;
  }
}

/**
 * Decides "the text equals / starts with / ends with / contains one of these literals" in one pass,
 * for long value lists (hundreds of cmdlet names, base64 variants) that would otherwise be tested one by one.
 */
export class LiteralSetMatcher {
  private readonly equals = new Set<string>();
  private readonly literals: { length: number; kind: Atom["kind"] }[][] = [];
  private readonly automaton: AhoCorasick | undefined;
  /** Command lines run to thousands of characters: most hold none of the literals, which this tells without reading all. */
  private readonly skipCheck: SkipCheck | undefined;

  constructor(atoms: readonly Atom[]) {
    const ids = new Map<string, number>();
    for (const atom of atoms) {
      if (atom.kind === "equals") {
        this.equals.add(atom.literal);
        continue;
      }
      let id = ids.get(atom.literal);
      if (id === undefined) {
        id = this.literals.length;
        ids.set(atom.literal, id);
        this.literals.push([]);
      }
      this.literals[id]!.push({ length: atom.literal.length, kind: atom.kind });
    }
    const texts = [...ids.keys()];
    this.automaton = texts.length > 0 ? new AhoCorasick(texts) : undefined;
    this.skipCheck = SkipCheck.of(texts);
  }

  private readonly holds: OccurrenceVisitor = (id, last, textLength) => {
    for (const literal of this.literals[id]!) {
      if (literal.kind === "contains" || (literal.kind === "startswith" ? last + 1 === literal.length : last + 1 === textLength)) return true;
    }
    return false;
  };

  /** `text` must be lower-cased like the literals. */
  test(text: string): boolean {
    if (this.equals.size > 0 && this.equals.has(text)) return true;
    if (!this.automaton || (this.skipCheck !== undefined && !this.skipCheck.mayContain(text))) return false;
    return this.automaton.scan(text, true, this.holds);
  }
}

/** Whether `text` holds `literal` (lower-cased) at `start`, ASCII letters of `text` folded; non-ASCII counts as a hit. */
function equalsFolded(text: string, start: number, literal: string): boolean {
  for (let i = 0; i < literal.length; i++) {
    const code = text.charCodeAt(start + i);
    if (code > 127) return true;
    if (FOLD_ASCII[code] !== literal.charCodeAt(i)) return false;
  }
  return true;
}
