/**
 * Rule pre-selection. Every compiled rule carries "atoms": literal tests (field equals / starts with /
 * ends with / contains a string) of which at least one must hold whenever the rule matches. For a set of
 * rules, all atoms of a field go into one Aho-Corasick automaton, so one pass over each field value finds
 * every rule that could match, however many rules there are; only those rules run their full test.
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

/** A necessary condition: the rule can only match if one of these atoms holds; undefined means "no cheap test known". */
export type AtomSet = readonly Atom[] | undefined;

/** Rough selectivity: longer literals are rarer; EventID equality is already covered by the index. */
function score(atoms: readonly Atom[]): number {
  let worst = Number.POSITIVE_INFINITY;
  for (const atom of atoms) {
    const weight = atom.field === "eventid" ? 0 : atom.literal.length + (atom.kind === "contains" ? 0 : 2);
    worst = Math.min(worst, weight);
  }
  return worst - atoms.length / 1000;
}

/** For an AND: any child's atom set is necessary; take the most selective. */
export function atomsOfAll(children: AtomSet[]): AtomSet {
  let best: readonly Atom[] | undefined;
  for (const child of children) if (child !== undefined && (best === undefined || score(child) > score(best))) best = child;
  return best;
}

/** For an OR: every alternative must offer atoms, and any of them may hold. */
export function atomsOfAny(children: AtomSet[]): AtomSet {
  if (children.length === 0 || children.some((c) => c === undefined)) return undefined;
  return children.flatMap((c) => c!);
}

/** Largest transition table built (entries of 4 bytes); bigger automata walk their trie with fail links instead. */
const MAX_TABLE_ENTRIES = 4_000_000;

class AhoCorasick {
  private readonly transitions: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  private readonly outputLists: number[][] = [[]];
  /** Literal ids recognised in state s: outputIds[outputStart[s] .. outputStart[s + 1]). Flat, so scans stay in typed arrays. */
  readonly outputStart: Int32Array;
  readonly outputIds: Int32Array;
  /**
   * Deterministic transitions per (state, ASCII character class); class 0 stands for ASCII characters no
   * literal contains. Only ASCII gets a column: a few rules (homoglyphs, encodings) bring hundreds of distinct
   * non-ASCII characters, which would make the table too large; those rare characters walk the fail links.
   */
  private readonly table: Int32Array | undefined;
  private readonly classCount: number = 0;
  private readonly asciiClass = new Uint16Array(128);

  constructor(literals: readonly string[]) {
    const asciiCodes: number[] = [];
    literals.forEach((literal, id) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const code = literal.charCodeAt(i);
        let next = this.transitions[state]!.get(code);
        if (next === undefined) {
          next = this.transitions.length;
          this.transitions.push(new Map());
          this.fail.push(0);
          this.outputLists.push([]);
          this.transitions[state]!.set(code, next);
        }
        state = next;
        if (code < 128 && this.asciiClass[code] === 0) {
          asciiCodes.push(code);
          this.asciiClass[code] = asciiCodes.length;
        }
      }
      this.outputLists[state]!.push(id);
    });
    const order: number[] = [0, ...this.transitions[0]!.values()];
    for (let head = 1; head < order.length; head++) {
      const state = order[head]!;
      for (const [code, next] of this.transitions[state]!) {
        let fallback = this.fail[state]!;
        while (fallback !== 0 && !this.transitions[fallback]!.has(code)) fallback = this.fail[fallback]!;
        const target = this.transitions[fallback]!.get(code);
        this.fail[next] = target !== undefined && target !== next ? target : 0;
        this.outputLists[next] = this.outputLists[next]!.concat(this.outputLists[this.fail[next]!]!);
        order.push(next);
      }
    }
    this.outputStart = new Int32Array(this.outputLists.length + 1);
    this.outputLists.forEach((ids, state) => (this.outputStart[state + 1] = this.outputStart[state]! + ids.length));
    this.outputIds = Int32Array.from(this.outputLists.flat());
    const width = asciiCodes.length + 1;
    this.classCount = width;
    if (this.transitions.length * width > MAX_TABLE_ENTRIES) return;
    const table = new Int32Array(this.transitions.length * width);
    // Breadth-first order guarantees a state's fail target already has its row.
    for (const state of order) {
      for (let charClass = 1; charClass < width; charClass++) {
        const direct = this.transitions[state]!.get(asciiCodes[charClass - 1]!);
        table[state * width + charClass] = direct ?? (state === 0 ? 0 : table[this.fail[state]! * width + charClass]!);
      }
    }
    this.table = table;
  }

  /** The state after reading `code` in `state`. */
  next(state: number, code: number): number {
    if (code < 128 && this.table !== undefined) return this.table[state * this.classCount + this.asciiClass[code]!]!;
    let next = this.transitions[state]!.get(code);
    while (next === undefined && state !== 0) {
      state = this.fail[state]!;
      next = this.transitions[state]!.get(code);
    }
    return next ?? 0;
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
    this.automaton = this.literals.length > 0 ? new AhoCorasick([...ids.keys()]) : undefined;
  }

  /** `text` must be lower-cased like the literals. */
  test(text: string): boolean {
    if (this.equals.size > 0 && this.equals.has(text)) return true;
    if (!this.automaton) return false;
    const { outputStart, outputIds } = this.automaton;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = this.automaton.next(state, text.charCodeAt(i));
      for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
        for (const literal of this.literals[outputIds[k]!]!) {
          if (literal.kind === "contains" || (literal.kind === "startswith" ? i + 1 === literal.length : i + 1 === text.length)) return true;
        }
      }
    }
    return false;
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

  /** False only when no literal occurs in `text`. */
  mayContain(text: string): boolean {
    const window = this.window;
    const shifts = this.shifts;
    for (let end = window - 1; end < text.length; ) {
      const first = text.charCodeAt(end - 1);
      const second = text.charCodeAt(end);
      if (first > 127 || second > 127) return true;
      const pair = first * 128 + second;
      const shift = shifts[pair]!;
      if (shift > 0) {
        end += shift;
        continue;
      }
      const start = end - window + 1;
      for (const literal of this.endingWith.get(pair)!) if (text.startsWith(literal, start)) return true;
      end++;
    }
    return false;
  }
}

/** The rules waiting on one automaton literal, split by where the literal must occur. */
interface LiteralTargets {
  length: number;
  anywhere: number[];
  atStart: number[];
  atEnd: number[];
}

interface FieldIndex {
  field: string;
  equals: Map<string, number[]>;
  automaton?: AhoCorasick;
  /** Set when the literals are long enough for a skip check to spare most Aho-Corasick passes. */
  skipCheck?: SkipCheck;
  literals: LiteralTargets[];
}

/** Selects, for one event, the items (rules) of a fixed list whose atoms can hold. */
export class Prefilter<T> {
  private readonly unconditional: number[] = [];
  private readonly fields: FieldIndex[] = [];
  private readonly marks: Uint32Array;
  /** Per literal of the field being scanned: the scan (generation) that already handled its first occurrence. */
  private literalSeen = new Uint32Array(0);
  private generation = 0;
  private scanGeneration = 0;
  /** Items selected for the event being processed. */
  private selected: number[] = [];

  constructor(
    private readonly items: readonly T[],
    atomsOf: (item: T) => AtomSet,
  ) {
    this.marks = new Uint32Array(items.length);
    const byField = new Map<string, { atom: Atom; item: number }[]>();
    items.forEach((item, index) => {
      const atoms = atomsOf(item);
      if (atoms === undefined || atoms.length === 0) {
        this.unconditional.push(index);
        return;
      }
      for (const atom of atoms) {
        const list = byField.get(atom.field) ?? [];
        list.push({ atom, item: index });
        byField.set(atom.field, list);
      }
    });
    for (const [field, entries] of byField) {
      const equals = new Map<string, number[]>();
      const literalIds = new Map<string, number>();
      const literals: LiteralTargets[] = [];
      for (const { atom, item } of entries) {
        if (atom.kind === "equals") {
          const list = equals.get(atom.literal) ?? [];
          list.push(item);
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
        (atom.kind === "contains" ? targets.anywhere : atom.kind === "startswith" ? targets.atStart : targets.atEnd).push(item);
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
    this.selected = [...this.unconditional];
    for (const index of this.unconditional) this.marks[index] = this.generation;
    for (const index of this.fields) {
      const text = index.field === ANY_FIELD ? event.keywordTexts() : event.lowerText(index.field);
      if (text === undefined) continue;
      if (typeof text === "string") this.scanValue(index, text);
      else for (const value of text) this.scanValue(index, value);
    }
    // Few items are selected per event, so sorting them beats walking every item.
    return this.selected.sort((a, b) => a - b).map((i) => this.items[i]!);
  }

  private mark(items: readonly number[]): void {
    for (const item of items) {
      if (this.marks[item] === this.generation) continue;
      this.marks[item] = this.generation;
      this.selected.push(item);
    }
  }

  private scanValue(index: FieldIndex, value: string): void {
    // Looking a string up hashes all of it: worth avoiding for long values when no atom tests equality.
    if (index.equals.size > 0) {
      const equal = index.equals.get(value);
      if (equal) this.mark(equal);
    }
    const automaton = index.automaton;
    if (!automaton || (index.skipCheck !== undefined && !index.skipCheck.mayContain(value))) return;
    // Only a literal's first occurrence can satisfy "anywhere" and "at start"; later ones only "at end".
    this.scanGeneration = (this.scanGeneration + 1) >>> 0 || 1;
    const scan = this.scanGeneration;
    const seen = this.literalSeen;
    const { outputStart, outputIds } = automaton;
    let state = 0;
    for (let i = 0; i < value.length; i++) {
      state = automaton.next(state, value.charCodeAt(i));
      for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
        const id = outputIds[k]!;
        const targets = index.literals[id]!;
        if (seen[id] !== scan) {
          seen[id] = scan;
          this.mark(targets.anywhere);
          if (i + 1 === targets.length) this.mark(targets.atStart);
        }
        if (i + 1 === value.length) this.mark(targets.atEnd);
      }
    }
  }
}
