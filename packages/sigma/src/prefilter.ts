/**
 * Rule pre-selection. Every compiled rule carries "atoms": literal tests (field equals / starts with /
 * ends with / contains a string), grouped into clauses that must each have an atom holding whenever the rule
 * matches. For a set of rules, all atoms of a field go into one Aho-Corasick automaton, so one pass over each
 * field value finds every rule that could match, however many rules there are; only those rules run their full test.
 */
import { toText, type SigmaEvent } from "./event.ts";

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

/** Rough selectivity of a clause's weakest atom: longer literals are rarer; EventID equality is already covered by the index. */
function weakestAtom(atoms: readonly Atom[]): number {
  let worst = Number.POSITIVE_INFINITY;
  for (const atom of atoms) {
    const weight = atom.field === "eventid" ? 0 : atom.literal.length + (atom.kind === "contains" ? 0 : 2);
    worst = Math.min(worst, weight);
  }
  return worst;
}

/** Order of preference between clauses: the weakest atom decides, then fewer atoms. */
function score(atoms: readonly Atom[]): number {
  return weakestAtom(atoms) - atoms.length / 1000;
}

export function clauseOf(atoms: AtomSet): AtomClauses {
  return atoms === undefined || atoms.length === 0 ? [] : [atoms];
}

/** For an AND: every child's clauses are necessary; keep the most selective few. */
export function atomsOfAll(children: readonly AtomClauses[]): AtomClauses {
  const clauses = children.flat().sort((a, b) => score(b) - score(a));
  // Beyond the best clause, only selective ones pay for their scanning (EventID clauses the index decides already).
  return clauses.filter((clause, index) => index === 0 || weakestAtom(clause) >= EXTRA_CLAUSE_MINIMUM_SCORE).slice(0, MAX_CLAUSES);
}

/**
 * For an OR: every alternative must offer atoms. Whichever alternative matches, its k-th clause holds, so the union of
 * the alternatives' k-th clauses (their last one where they have fewer) is a clause of the OR: `(A1 and A2) or B1`
 * gives `A1 or B1` and `A2 or B1`, and the rule runs only when both hold.
 */
export function atomsOfAny(children: readonly AtomClauses[]): AtomClauses {
  if (children.length === 0 || children.some((c) => c.length === 0)) return [];
  const depth = Math.min(MAX_CLAUSES, Math.max(...children.map((c) => c.length)));
  const clauses: Atom[][] = [];
  const seen = new Set<string>();
  for (let k = 0; k < depth; k++) {
    const clause = children.flatMap((c) => c[Math.min(k, c.length - 1)]!);
    const key = JSON.stringify(clause);
    if (seen.has(key)) continue;
    seen.add(key);
    clauses.push(clause);
  }
  return clauses;
}

/** ASCII case folding: scans read field values as they are and fold A-Z here instead of lower-casing every value. */
const FOLD_ASCII = Uint8Array.from({ length: 128 }, (_, code) => (code >= 65 && code <= 90 ? code + 32 : code));

/** Largest transition table built (entries); bigger automata walk their trie with fail links instead. */
const MAX_TABLE_ENTRIES = 4_000_000;

class AhoCorasick {
  /**
   * States are numbered for the scans: states without output that ASCII text reaches come first, breadth-first (the hot
   * shallow rows sit together in memory); then states only non-ASCII text reaches (thousands of emoji literals); then
   * every state that recognises literals, so "has output" is one comparison with firstOutputState.
   */
  private readonly transitions: Map<number, number>[];
  private readonly fail: Int32Array;
  readonly firstOutputState: number;
  /** Literal ids recognised in state s: outputIds[outputStart[s] .. outputStart[s + 1]). Flat, so scans stay in typed arrays. */
  readonly outputStart: Int32Array;
  readonly outputIds: Int32Array;
  /**
   * Deterministic transitions per (state, ASCII character class); class 0 stands for ASCII characters no literal
   * contains. Only ASCII gets a column: a few rules (homoglyphs, encodings) bring hundreds of distinct non-ASCII
   * characters, which would make the table too large; those rare characters walk the fail links (`step`).
   * Scans read the table themselves: a call per character costs more than the lookup.
   */
  readonly table: Uint16Array | Int32Array | undefined;
  readonly classCount: number = 0;
  readonly asciiClass = new Uint16Array(128);

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
        if (code < 128 && !asciiCodes.includes(code)) asciiCodes.push(code);
      }
      outputsOf[state]!.push(id);
    });
    const count = trie.length;
    const breadthFirst = [0];
    const reachedByAscii = new Uint8Array(count);
    reachedByAscii[0] = 1;
    for (let head = 0; head < breadthFirst.length; head++) {
      const state = breadthFirst[head]!;
      for (const [code, next] of trie[state]!) {
        reachedByAscii[next] = reachedByAscii[state]! & (code < 128 ? 1 : 0);
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
    const order = [
      ...breadthFirst.filter((state) => silent(state) && reachedByAscii[state] === 1),
      ...breadthFirst.filter((state) => silent(state) && reachedByAscii[state] === 0),
      ...breadthFirst.filter((state) => !silent(state)),
    ];
    this.firstOutputState = breadthFirst.filter(silent).length;
    const rank = new Int32Array(count);
    order.forEach((old, state) => (rank[old] = state));
    this.transitions = order.map((old) => new Map([...trie[old]!].map(([code, next]) => [code, rank[next]!])));
    this.fail = Int32Array.from(order, (old) => rank[trieFail[old]!]!);
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
   * The state after reading `code` in `state`. ASCII letters fold to lower case; other characters must already be
   * lower-cased by the caller (their case mappings can change lengths).
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
    return next ?? 0;
  }
}

/** Shortest literal length from which a skip check pays off: with shorter literals it rarely skips far. */
const SKIP_MINIMUM_LENGTH = 5;
/** Mean shift, as a share of the longest possible, below which a skip check costs more than it spares. */
const SKIP_MINIMUM_SHIFT_SHARE = 0.2;

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

  /**
   * A skip check for these literals when it pays: they must all be long, and values that resemble them must leave it
   * room to skip. Hundreds of hex hashes use up every pair of hex digits: on a hash value the check would move one
   * character at a time and compare literals at most of them, twice as slow as the automaton alone.
   */
  static of(literals: readonly string[]): SkipCheck | undefined {
    if (literals.length === 0 || !literals.every((l) => l.length >= SKIP_MINIMUM_LENGTH)) return undefined;
    const check = new SkipCheck(literals);
    return check.meanShiftOver(literals) >= SKIP_MINIMUM_SHIFT_SHARE * (check.window - 1) ? check : undefined;
  }

  /** Mean shift at the character pairs of `texts`. */
  private meanShiftOver(texts: readonly string[]): number {
    let total = 0;
    let pairs = 0;
    for (const text of texts) {
      for (let i = 1; i < text.length; i++) {
        const first = text.charCodeAt(i - 1);
        const second = text.charCodeAt(i);
        if (first > 127 || second > 127) continue;
        total += this.shifts[FOLD_ASCII[first]! * 128 + FOLD_ASCII[second]!]!;
        pairs++;
      }
    }
    return pairs === 0 ? 0 : total / pairs;
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
    this.skipCheck = SkipCheck.of(texts);
  }

  /** `text` must be lower-cased like the literals. */
  test(text: string): boolean {
    if (this.equals.size > 0 && this.equals.has(text)) return true;
    if (!this.automaton || (this.skipCheck !== undefined && !this.skipCheck.mayContain(text))) return false;
    const automaton = this.automaton;
    const { outputStart, outputIds, firstOutputState, table, classCount, asciiClass } = automaton;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      state = code < 128 && table !== undefined ? table[state * classCount + asciiClass[code]!]! : automaton.step(state, code);
      if (state < firstOutputState) continue;
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
  /** Equality: the literal spans the whole value. */
  whole: number[];
}

interface FieldIndex {
  field: string;
  /** Clauses satisfied by an empty value (equality with ""), which no automaton pass can report. */
  empty: number[];
  automaton?: AhoCorasick;
  /** Set when the literals are long enough for a skip check to spare most Aho-Corasick passes. */
  skipCheck?: SkipCheck;
  literals: LiteralTargets[];
  /** Whether a literal could occur in the text of a number or boolean. */
  scalarLiterals: boolean;
  /** Length of the shortest literal. */
  shortest: number;
}

/** The characters that the text of a number, bigint or boolean can hold ("-1.5e+21", "Infinity", "NaN", "true", "false"), lower-cased. */
const SCALAR_TEXT = /^[-+.0-9abefilnrstuy]*$/;

/** A field read by at most this many items is not scanned if each of them has a clause elsewhere. */
const RARELY_USED_FIELD = 16;

/**
 * Every field scanned costs a lookup and a pass for every event, whatever its length: a field few items need (a
 * process's IntegrityLevel or User next to its CommandLine) is left out when each of those items keeps another clause.
 * Dropping a clause only lets more items through to their full test, so results do not change.
 */
function withoutRarelyUsedFields(itemClauses: readonly AtomClauses[]): AtomClauses[] {
  const users = new Map<string, Set<number>>();
  itemClauses.forEach((clauses, item) => {
    for (const clause of clauses) for (const atom of clause) users.set(atom.field, (users.get(atom.field) ?? new Set()).add(item));
  });
  const dropped = new Set<string>();
  const kept = (clause: readonly Atom[]) => !clause.some((atom) => dropped.has(atom.field));
  for (const [field, fieldUsers] of [...users].sort((a, b) => a[1].size - b[1].size)) {
    if (fieldUsers.size > RARELY_USED_FIELD) break;
    const elsewhere = [...fieldUsers].every((item) => itemClauses[item]!.some((clause) => kept(clause) && !clause.some((atom) => atom.field === field)));
    if (elsewhere) dropped.add(field);
  }
  return itemClauses.map((clauses) => clauses.filter(kept));
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
  /** Clauses with an atom every present value satisfies (starts with ""): marked for every event. */
  private readonly alwaysHolds: number[] = [];

  constructor(
    private readonly items: readonly T[],
    atomsOf: (item: T) => AtomClauses,
  ) {
    const byField = new Map<string, { atom: Atom; clause: number }[]>();
    const clauseItems: number[] = [];
    this.clauseCount = new Uint8Array(items.length);
    const itemClauses = withoutRarelyUsedFields(items.map(atomsOf));
    itemClauses.forEach((clauses, index) => {
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
    // Equality is decided in the same pass as the other atoms (the literal spans the value), so scans need no
    // lower-cased copy of the value and no hashing of it.
    const targetsOf: Record<Atom["kind"], (targets: LiteralTargets) => number[]> = {
      contains: (targets) => targets.anywhere,
      startswith: (targets) => targets.atStart,
      endswith: (targets) => targets.atEnd,
      equals: (targets) => targets.whole,
    };
    for (const [field, entries] of byField) {
      const empty: number[] = [];
      const literalIds = new Map<string, number>();
      const literals: LiteralTargets[] = [];
      for (const { atom, clause } of entries) {
        if (atom.literal === "") {
          // Every value starts with, ends with and contains "": such an atom rules nothing out.
          if (atom.kind === "equals") empty.push(clause);
          else this.alwaysHolds.push(clause);
          continue;
        }
        let id = literalIds.get(atom.literal);
        if (id === undefined) {
          id = literals.length;
          literalIds.set(atom.literal, id);
          literals.push({ length: atom.literal.length, anywhere: [], atStart: [], atEnd: [], whole: [] });
        }
        targetsOf[atom.kind](literals[id]!).push(clause);
      }
      this.literalSeen = new Uint32Array(Math.max(this.literalSeen.length, literals.length));
      const texts = [...literalIds.keys()];
      this.fields.push({
        field,
        empty,
        literals,
        automaton: texts.length > 0 ? new AhoCorasick(texts) : undefined,
        skipCheck: SkipCheck.of(texts),
        scalarLiterals: texts.some((literal) => SCALAR_TEXT.test(literal)),
        shortest: Math.min(...texts.map((literal) => literal.length)),
      });
    }
  }

  /** The items that could match, in their original order. */
  candidates(event: SigmaEvent): T[] {
    this.generation = (this.generation + 1) >>> 0 || 1;
    const selected = this.selected;
    selected.length = 0;
    for (const index of this.unconditional) selected.push(index);
    if (this.alwaysHolds.length > 0) this.mark(this.alwaysHolds);
    for (const index of this.fields) {
      if (index.field === ANY_FIELD) {
        this.scanEveryValue(index, event);
        continue;
      }
      const text = event.text(index.field);
      if (text === undefined) continue;
      if (typeof text === "string") this.scanValue(index, text);
      else for (let k = 0; k < text.length; k++) this.scanValue(index, text[k]!);
    }
    // Few items are selected per event: an insertion sort of them beats walking every item (and Array#sort's set-up).
    for (let i = 1; i < selected.length; i++) {
      const item = selected[i]!;
      let j = i - 1;
      for (; j >= 0 && selected[j]! > item; j--) selected[j + 1] = selected[j]!;
      selected[j + 1] = item;
    }
    const items: T[] = new Array(selected.length);
    for (let i = 0; i < selected.length; i++) items[i] = this.items[selected[i]!]!;
    return items;
  }

  /** Keyword atoms may hold in any field: scans every value, skipping numbers and booleans when no literal could occur in one. */
  private scanEveryValue(index: FieldIndex, event: SigmaEvent): void {
    for (const value of event.fields.values()) {
      if (typeof value === "string") this.scanValue(index, value);
      else if (typeof value === "object" ? value !== null : index.scalarLiterals) {
        const text = toText(value);
        if (typeof text === "string") this.scanValue(index, text);
        else if (text !== undefined) for (const item of text) this.scanValue(index, item);
      }
    }
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

  private scanValue(index: FieldIndex, value: string): void {
    if (value === "") {
      if (index.empty.length > 0) this.mark(index.empty);
      return;
    }
    // Lower-casing can at most double a value's length (U+0130 becomes two code units): shorter values hold no literal.
    if (value.length * 2 < index.shortest) return;
    this.scanText(index, value, false);
  }

  /** @param lowerCased whether `text` is lower-cased already; otherwise it is lower-cased and rescanned once it turns out to hold non-ASCII characters */
  private scanText(index: FieldIndex, text: string, lowerCased: boolean): void {
    const automaton = index.automaton;
    if (!automaton || (index.skipCheck !== undefined && !index.skipCheck.mayContain(text))) return;
    // Only a literal's first occurrence can satisfy "anywhere" and "at start"; later ones only "at end".
    this.scanGeneration = (this.scanGeneration + 1) >>> 0 || 1;
    const scan = this.scanGeneration;
    const seen = this.literalSeen;
    const { outputStart, outputIds, firstOutputState, table, classCount, asciiClass } = automaton;
    const last = text.length - 1;
    let state = 0;
    for (let i = 0; i <= last; i++) {
      const code = text.charCodeAt(i);
      // Marks made so far stay valid: the lower-cased text has the same ASCII prefix, and no end was reached yet.
      if (code > 127 && !lowerCased) return this.scanText(index, text.toLowerCase(), true);
      state = code < 128 && table !== undefined ? table[state * classCount + asciiClass[code]!]! : automaton.step(state, code);
      if (state < firstOutputState) continue;
      for (let k = outputStart[state]!, stop = outputStart[state + 1]!; k < stop; k++) {
        const id = outputIds[k]!;
        const targets = index.literals[id]!;
        if (seen[id] !== scan) {
          seen[id] = scan;
          this.mark(targets.anywhere);
          if (i + 1 === targets.length) this.mark(targets.atStart);
        }
        if (i === last) {
          this.mark(targets.atEnd);
          if (i + 1 === targets.length) this.mark(targets.whole);
        }
      }
    }
  }
}
