/**
 * Rule pre-selection. Every compiled rule carries "atoms": literal tests (field equals / starts with /
 * ends with / contains a string), grouped into clauses that must each have an atom holding whenever the rule
 * matches. For a set of rules, all atoms of a field go into one Aho-Corasick automaton, so one pass over each
 * field value finds every rule that could match, however many rules there are; only those rules run their full test.
 */
import type { SigmaEvent } from "./event.ts";

/** Atom field name of keyword searches: the literal may occur in any field. */
export const ANY_FIELD = "*";

export interface Atom {
  /** Lower-cased field name, or ANY_FIELD. */
  field: string;
  /** Lower-cased literal. */
  literal: string;
  kind: "equals" | "startswith" | "endswith" | "contains";
}

/** A necessary condition of one value: it can only match if one of these atoms holds; undefined means "no cheap test known". */
export type AtomSet = readonly Atom[] | undefined;

/**
 * Necessary conditions of a selection or rule: every clause must have an atom that holds (most selective clause
 * first); no clauses means no cheap test is known. Several clauses let `Image|endswith: \cmd.exe` and
 * `CommandLine|contains: …` both have to hold before the rule runs its full test.
 */
export type AtomClauses = readonly (readonly Atom[])[];

/** Clauses kept per rule: each costs a little marking work, and beyond three they rarely rule out more. */
const MAX_CLAUSES = 3;
/** Literals of one to three characters occur in most command lines: such clauses rule out little. */
const EXTRA_CLAUSE_MINIMUM_SCORE = 4;

/** Rough selectivity: longer literals are rarer; EventID equality is already covered by the index. */
function score(atoms: readonly Atom[]): number {
  let worst = Number.POSITIVE_INFINITY;
  for (const atom of atoms) {
    const weight = atom.field === "eventid" ? 0 : atom.literal.length + (atom.kind === "contains" ? 0 : 2);
    worst = Math.min(worst, weight);
  }
  return worst - atoms.length / 1000;
}

export function clauseOf(atoms: AtomSet): AtomClauses {
  return atoms === undefined || atoms.length === 0 ? [] : [atoms];
}

/** For an AND: every child's clauses are necessary; keep the most selective few. */
export function atomsOfAll(children: readonly AtomClauses[]): AtomClauses {
  const clauses = children.flat().sort((a, b) => score(b) - score(a));
  // Beyond the best clause, only selective ones pay for their scanning (EventID clauses the index decides already).
  return clauses.filter((clause, index) => index === 0 || score(clause) >= EXTRA_CLAUSE_MINIMUM_SCORE).slice(0, MAX_CLAUSES);
}

/** For an OR: every alternative must offer atoms, and any of them may hold (one clause of each alternative's best). */
export function atomsOfAny(children: readonly AtomClauses[]): AtomClauses {
  if (children.length === 0 || children.some((c) => c.length === 0)) return [];
  return [children.flatMap((c) => c[0]!)];
}

/** ASCII case folding: scans read field values as they are and fold A-Z here instead of lower-casing every value. */
const FOLD_ASCII = Uint8Array.from({ length: 128 }, (_, code) => (code >= 65 && code <= 90 ? code + 32 : code));

/** Largest transition table built (entries); bigger automata walk their trie with fail links instead. */
const MAX_TABLE_ENTRIES = 4_000_000;

class AhoCorasick {
  /** Per state, in breadth-first order (shallow states, where scans spend their time, have small numbers). */
  private readonly transitions: Map<number, number>[];
  private readonly fail: Int32Array;
  /** Literal ids recognised in state s: outputIds[outputStart[s] .. outputStart[s + 1]). Flat, so scans stay in typed arrays. */
  readonly outputStart: Int32Array;
  readonly outputIds: Int32Array;
  /** `step` results: the state in the low bits, OUTPUT_FLAG set when the state recognises literals. */
  readonly stateMask: number;
  private readonly outputFlag: number;
  /**
   * Deterministic transitions per (state, ASCII character class), as `step` results; class 0 stands for ASCII
   * characters no literal contains. Only ASCII gets a column: a few rules (homoglyphs, encodings) bring hundreds of
   * distinct non-ASCII characters, which would make the table too large; those rare characters walk the fail links.
   */
  private readonly table: Uint16Array | Int32Array | undefined;
  private readonly classCount: number = 0;
  private readonly asciiClass = new Uint16Array(128);

  constructor(literals: readonly string[]) {
    const trie: Map<number, number>[] = [new Map()];
    const outputsOf: number[][] = [[]];
    const asciiCodes: number[] = [];
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
        if (code < 128 && this.asciiClass[code] === 0) {
          asciiCodes.push(code);
          this.asciiClass[code] = asciiCodes.length;
          // Literals are lower-cased, so an upper-case letter in the text behaves like its lower case.
          if (code >= 97 && code <= 122) this.asciiClass[code - 32] = asciiCodes.length;
        }
      }
      outputsOf[state]!.push(id);
    });
    // Breadth-first numbering: a state's fail target comes before it, and the hot shallow rows sit together in memory.
    const order = [0];
    const rank = new Int32Array(trie.length);
    for (let head = 0; head < order.length; head++) {
      for (const next of trie[order[head]!]!.values()) {
        rank[next] = order.length;
        order.push(next);
      }
    }
    const count = trie.length;
    this.transitions = order.map((old) => new Map([...trie[old]!].map(([code, next]) => [code, rank[next]!])));
    this.fail = new Int32Array(count);
    const outputLists: number[][] = order.map((old) => outputsOf[old]!);
    for (let state = 0; state < count; state++) {
      for (const [code, next] of this.transitions[state]!) {
        let fallback = state === 0 ? -1 : this.fail[state]!;
        let target: number | undefined;
        while (fallback >= 0 && (target = this.transitions[fallback]!.get(code)) === undefined) fallback = fallback === 0 ? -1 : this.fail[fallback]!;
        this.fail[next] = target !== undefined && target !== next ? target : 0;
        outputLists[next] = outputLists[next]!.concat(outputLists[this.fail[next]!]!);
      }
    }
    this.outputStart = new Int32Array(count + 1);
    outputLists.forEach((ids, state) => (this.outputStart[state + 1] = this.outputStart[state]! + ids.length));
    this.outputIds = Int32Array.from(outputLists.flat());
    // Small automata get 2-byte entries (more rows stay in cache), the command-line one has tens of thousands of states.
    const small = count < 0x8000;
    this.outputFlag = small ? 0x8000 : 0x40000000;
    this.stateMask = this.outputFlag - 1;
    const width = asciiCodes.length + 1;
    this.classCount = width;
    if (count * width > MAX_TABLE_ENTRIES) return;
    const table = small ? new Uint16Array(count * width) : new Int32Array(count * width);
    for (let state = 0; state < count; state++) {
      for (let charClass = 1; charClass < width; charClass++) {
        const direct = this.transitions[state]!.get(asciiCodes[charClass - 1]!);
        table[state * width + charClass] = direct !== undefined ? this.entry(direct) : state === 0 ? 0 : table[this.fail[state]! * width + charClass]!;
      }
    }
    this.table = table;
  }

  private entry(state: number): number {
    return this.outputStart[state + 1]! > this.outputStart[state]! ? state | this.outputFlag : state;
  }

  /**
   * The state after reading `code` in `state`, with the output flag (see stateMask). ASCII letters fold to lower case;
   * other characters must already be lower-cased by the caller (their case mappings can change lengths).
   */
  step(state: number, code: number): number {
    if (code < 128) {
      if (this.table !== undefined) return this.table[state * this.classCount + this.asciiClass[code]!]!;
      code = FOLD_ASCII[code]!;
    }
    let next = this.transitions[state]!.get(code);
    while (next === undefined && state !== 0) {
      state = this.fail[state]!;
      next = this.transitions[state]!.get(code);
    }
    return this.entry(next ?? 0);
  }
}

/** Shortest literal length from which a skip check pays off: with shorter literals it rarely skips far. */
const SKIP_MINIMUM_LENGTH = 5;

/**
 * A Wu-Manber style check "does any of these literals occur in the text", which looks at one pair of
 * characters per window of the shortest literal's length and usually jumps several characters ahead.
 * Most field values contain none of a rule set's literals, so the Aho-Corasick pass (which must read
 * every character) runs only when this check finds one. Non-ASCII pairs are treated as possible hits.
 */
class SkipCheck {
  private readonly window: number;
  /** Per pair of ASCII characters: how far the window may move when the pair ends it. */
  private readonly shifts: Uint8Array;
  /** Per pair with shift 0: the literals whose first `window` characters end with that pair. */
  private readonly endingWith = new Map<number, string[]>();

  constructor(literals: readonly string[]) {
    const window = Math.min(...literals.map((l) => l.length), 255);
    this.window = window;
    this.shifts = new Uint8Array(128 * 128).fill(window - 1);
    for (const literal of literals) {
      for (let q = 1; q < window; q++) {
        const first = literal.charCodeAt(q - 1);
        const second = literal.charCodeAt(q);
        if (first > 127 || second > 127) continue;
        const pair = first * 128 + second;
        const shift = window - 1 - q;
        if (shift < this.shifts[pair]!) this.shifts[pair] = shift;
        if (shift === 0) this.endingWith.set(pair, [...(this.endingWith.get(pair) ?? []), literal]);
      }
    }
  }

  static worthwhile(literals: readonly string[]): boolean {
    return literals.length > 0 && literals.every((l) => l.length >= SKIP_MINIMUM_LENGTH);
  }

  /** False only when no literal occurs in `text` (ASCII letters compared case-insensitively). */
  mayContain(text: string): boolean {
    const window = this.window;
    const shifts = this.shifts;
    for (let end = window - 1; end < text.length; ) {
      const first = text.charCodeAt(end - 1);
      const second = text.charCodeAt(end);
      if (first > 127 || second > 127) return true;
      const pair = FOLD_ASCII[first]! * 128 + FOLD_ASCII[second]!;
      const shift = shifts[pair]!;
      if (shift > 0) {
        end += shift;
        continue;
      }
      const start = end - window + 1;
      for (const literal of this.endingWith.get(pair)!) if (equalsFolded(text, start, literal)) return true;
      end++;
    }
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
    this.skipCheck = SkipCheck.worthwhile(texts) ? new SkipCheck(texts) : undefined;
  }

  /** `text` must be lower-cased like the literals. */
  test(text: string): boolean {
    if (this.equals.size > 0 && this.equals.has(text)) return true;
    if (!this.automaton || (this.skipCheck !== undefined && !this.skipCheck.mayContain(text))) return false;
    const automaton = this.automaton;
    const { outputStart, outputIds, stateMask } = automaton;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const entry = automaton.step(state, text.charCodeAt(i));
      state = entry & stateMask;
      if (entry === state) continue;
      for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
        for (const literal of this.literals[outputIds[k]!]!) {
          if (literal.kind === "contains" || (literal.kind === "startswith" ? i + 1 === literal.length : i + 1 === text.length)) return true;
        }
      }
    }
    return false;
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

/** The rule clauses waiting on one automaton literal, split by where the literal must occur. */
interface LiteralTargets {
  length: number;
  anywhere: number[];
  atStart: number[];
  atEnd: number[];
}

interface FieldIndex {
  field: string;
  /** Lower-cased value → the clauses it satisfies. */
  equals: Map<string, number[]>;
  automaton?: AhoCorasick;
  /** Set when the literals are long enough for a skip check to spare most Aho-Corasick passes. */
  skipCheck?: SkipCheck;
  literals: LiteralTargets[];
}

/** Selects, for one event, the items (rules) of a fixed list whose atom clauses can all hold. */
export class Prefilter<T> {
  private readonly unconditional: number[] = [];
  private readonly fields: FieldIndex[] = [];
  /** Per clause: its item; per item: how many clauses it has. */
  private readonly clauseItem: Int32Array;
  private readonly clauseCount: Uint8Array;
  /** Per clause and per item: the event (generation) that satisfied it / last counted it; per item: clauses satisfied. */
  private readonly clauseMarks: Uint32Array;
  private readonly itemMarks: Uint32Array;
  private readonly itemHits: Uint8Array;
  /** Per literal of the field being scanned: the scan (generation) that already handled its first occurrence. */
  private literalSeen = new Uint32Array(0);
  private generation = 0;
  private scanGeneration = 0;
  /** Items selected for the event being processed. */
  private readonly selected: number[] = [];

  constructor(
    private readonly items: readonly T[],
    atomsOf: (item: T) => AtomClauses,
  ) {
    const byField = new Map<string, { atom: Atom; clause: number }[]>();
    const clauseItems: number[] = [];
    this.clauseCount = new Uint8Array(items.length);
    items.forEach((item, index) => {
      const clauses = atomsOf(item);
      if (clauses.length === 0) {
        this.unconditional.push(index);
        return;
      }
      this.clauseCount[index] = clauses.length;
      for (const atoms of clauses) {
        const clause = clauseItems.length;
        clauseItems.push(index);
        for (const atom of atoms) {
          const list = byField.get(atom.field) ?? [];
          list.push({ atom, clause });
          byField.set(atom.field, list);
        }
      }
    });
    this.clauseItem = Int32Array.from(clauseItems);
    this.clauseMarks = new Uint32Array(clauseItems.length);
    this.itemMarks = new Uint32Array(items.length);
    this.itemHits = new Uint8Array(items.length);
    for (const [field, entries] of byField) {
      const equals = new Map<string, number[]>();
      const literalIds = new Map<string, number>();
      const literals: LiteralTargets[] = [];
      for (const { atom, clause } of entries) {
        if (atom.kind === "equals") {
          const list = equals.get(atom.literal) ?? [];
          list.push(clause);
          equals.set(atom.literal, list);
          continue;
        }
        let id = literalIds.get(atom.literal);
        if (id === undefined) {
          id = literals.length;
          literalIds.set(atom.literal, id);
          literals.push({ length: atom.literal.length, anywhere: [], atStart: [], atEnd: [] });
        }
        const targets = literals[id]!;
        (atom.kind === "contains" ? targets.anywhere : atom.kind === "startswith" ? targets.atStart : targets.atEnd).push(clause);
      }
      this.literalSeen = new Uint32Array(Math.max(this.literalSeen.length, literals.length));
      const texts = [...literalIds.keys()];
      this.fields.push({
        field,
        equals,
        literals,
        automaton: texts.length > 0 ? new AhoCorasick(texts) : undefined,
        skipCheck: SkipCheck.worthwhile(texts) ? new SkipCheck(texts) : undefined,
      });
    }
  }

  /** The items that could match, in their original order. */
  candidates(event: SigmaEvent): T[] {
    this.generation = (this.generation + 1) >>> 0 || 1;
    const selected = this.selected;
    selected.length = 0;
    for (const index of this.unconditional) selected.push(index);
    for (const index of this.fields) {
      if (index.field === ANY_FIELD) {
        for (const value of event.keywordTexts(true)) this.scanValue(index, value, undefined);
        continue;
      }
      const text = event.text(index.field);
      if (text === undefined) continue;
      // Equality atoms look the whole lower-cased value up; the event caches it for the rules that test it.
      const lowered = index.equals.size > 0 ? event.lowerText(index.field) : undefined;
      if (typeof text === "string") this.scanValue(index, text, lowered as string | undefined);
      else for (let k = 0; k < text.length; k++) this.scanValue(index, text[k]!, (lowered as readonly string[] | undefined)?.[k]);
    }
    // Few items are selected per event, so sorting them beats walking every item.
    if (selected.length > 1) selected.sort((a, b) => a - b);
    const items: T[] = new Array(selected.length);
    for (let i = 0; i < selected.length; i++) items[i] = this.items[selected[i]!]!;
    return items;
  }

  /** Records satisfied clauses; an item is selected once all of its clauses are. */
  private mark(clauses: readonly number[]): void {
    const generation = this.generation;
    for (const clause of clauses) {
      if (this.clauseMarks[clause] === generation) continue;
      this.clauseMarks[clause] = generation;
      const item = this.clauseItem[clause]!;
      if (this.itemMarks[item] !== generation) {
        this.itemMarks[item] = generation;
        this.itemHits[item] = 0;
      }
      if (++this.itemHits[item]! === this.clauseCount[item]) this.selected.push(item);
    }
  }

  private scanValue(index: FieldIndex, value: string, lowered: string | undefined): void {
    if (lowered !== undefined) {
      const equal = index.equals.get(lowered);
      if (equal) this.mark(equal);
    }
    this.scanText(index, value, lowered);
  }

  /** @param lowered `text` lower-cased if known (`text` itself when it is), scanned instead once `text` turns out to hold non-ASCII characters */
  private scanText(index: FieldIndex, text: string, lowered: string | undefined): void {
    const automaton = index.automaton;
    if (!automaton || (index.skipCheck !== undefined && !index.skipCheck.mayContain(text))) return;
    // Only a literal's first occurrence can satisfy "anywhere" and "at start"; later ones only "at end".
    this.scanGeneration = (this.scanGeneration + 1) >>> 0 || 1;
    const scan = this.scanGeneration;
    const seen = this.literalSeen;
    const { outputStart, outputIds, stateMask } = automaton;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // Marks made so far stay valid: the lower-cased text has the same ASCII prefix.
      if (code > 127 && lowered !== text) {
        const folded = lowered ?? text.toLowerCase();
        return this.scanText(index, folded, folded);
      }
      const entry = automaton.step(state, code);
      state = entry & stateMask;
      if (entry === state) continue;
      for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
        const id = outputIds[k]!;
        const targets = index.literals[id]!;
        if (seen[id] !== scan) {
          seen[id] = scan;
          this.mark(targets.anywhere);
          if (i + 1 === targets.length) this.mark(targets.atStart);
        }
        if (i + 1 === text.length) this.mark(targets.atEnd);
      }
    }
  }
}
