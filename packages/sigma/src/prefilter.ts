/**
 * Rule pre-selection. Every compiled rule carries "atoms": literal tests (field equals / starts with /
 * ends with / contains a string), grouped into clauses that must each have an atom holding whenever the rule
 * matches. For a set of rules, all atoms of a field go into one Aho-Corasick automaton, so one pass over each
 * field value finds every rule that could match, however many rules there are; only those rules run their full test.
 */
import { toText, type SigmaEvent } from "./event.ts";
import { AhoCorasick, SkipCheck, type GramScanner, type OccurrenceVisitor } from "./literal-search.ts";

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

/**
 * A value list (`Field|contains: [...]` and the like) whose every value is one atom: it holds exactly when one of its
 * atoms does. A pre-selection that scans its field decides it for the events it scans, so the rule's test does not
 * lower-case and search the field again.
 */
export class DecidableList {
  readonly field: string;

  constructor(readonly atoms: readonly Atom[]) {
    this.field = atoms[0]!.field;
  }

  /** Whether the list holds for `event`, if a pre-selection that tracks it scanned the event last; undefined otherwise. */
  decide(event: SigmaEvent): boolean | undefined {
    const scans = event.scans;
    for (let i = 0; i < scans.length; i++) {
      const holds = scans[i]!.decide(this, event);
      if (holds !== undefined) return holds;
    }
    return undefined;
  }

  /**
   * The pre-selection that last told its clause for this list, and that clause: nearly always the one asked next, which
   * then needs no lookup in its map of lists.
   */
  lastTracker: Prefilter<unknown> | undefined;
  lastClause = -1;
}

/**
 * The fields each clause reads, for clauses on named fields: an atom only holds on a present field, so an event lacking
 * every field of one of these lists cannot satisfy the clauses, which a lookup per field tells without scanning.
 */
export type ClauseFields = readonly (readonly string[])[];

export function clauseFieldsOf(clauses: AtomClauses): ClauseFields {
  return clauses.map((clause) => [...new Set(clause.map((atom) => atom.field))]).filter((fields) => !fields.includes(ANY_FIELD));
}

/** Whether the event has a field of each list. */
export function hasFieldOfEach(clauseFields: ClauseFields, event: SigmaEvent): boolean {
  for (const fields of clauseFields) {
    let present = false;
    for (let i = 0; i < fields.length && !present; i++) present = event.has(fields[i]!);
    if (!present) return false;
  }
  return true;
}

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

/**
 * Per automaton literal, in `FieldIndex.literalInfo`: its length, where its clause lists start in
 * `FieldIndex.literalClauses` (clauses it satisfies anywhere, at the start, at the end, as the whole value; END closes
 * the last list), and the scan that last marked its "anywhere" clauses. Flat typed arrays rather than an object and four
 * arrays per literal: evaluation between two events evicts most of the engine from the caches, and a scan pays for
 * every distinct cache line it touches.
 */
const LITERAL_LENGTH = 0;
const ANYWHERE = 1;
const AT_START = 2;
const AT_END = 3;
const WHOLE = 4;
const END = 5;
const SEEN_IN_SCAN = 6;
const LITERAL_STRIDE = 8;

/**
 * What scanning one value marked: the ranges of `FieldIndex.literalClauses` passed to `mark`, as (start, end) pairs.
 * Consecutive records of a log mostly repeat a field's value (the same company, integrity level, parent, computer):
 * a value equal to the one scanned before marks the same ranges again without being read.
 */
interface ScanMemo {
  value: string | undefined;
  ranges: Int32Array;
  /** Pairs in `ranges`, or -1 when the scan marked more than it holds. */
  count: number;
}

/** Mark calls one value's memo holds; a value with more occurrences is scanned again each time. */
const MEMO_RANGES = 16;
/** Values of keyword scans are remembered by their place in the event, up to this many places. */
const MEMO_PLACES = 256;

function scanMemo(): ScanMemo {
  return { value: undefined, ranges: new Int32Array(2 * MEMO_RANGES), count: -1 };
}

interface FieldIndex {
  field: string;
  /** The last value scanned (for ANY_FIELD, per place in the event's values). */
  memos: ScanMemo[];
  /** Clauses satisfied by an empty value (equality with ""), which no automaton pass can report. */
  empty: Int32Array;
  automaton?: AhoCorasick;
  /** Set when the literals are long enough for a skip check to spare most Aho-Corasick passes. */
  skipCheck?: SkipCheck;
  literalInfo: Int32Array;
  literalClauses: Int32Array;
  /** Whether a literal could occur in the text of a number or boolean. */
  scalarLiterals: boolean;
  /** Length of the shortest literal. */
  shortest: number;
}

/** Largest scan generation stored in `SEEN_IN_SCAN` slots. */
const GENERATION_LIMIT = 0x7fffffff;
/** `Prefilter.firstClauses` packs an item and its number of clauses into one number; items keep at most 255 clauses. */
const CLAUSE_COUNT_BITS = 8;

/** Zeroes slots[first], slots[first + stride], …: marks forgotten when a counter starts over. */
function clearSlots(slots: Int32Array, first: number, stride: number): void {
  for (let at = first; at < slots.length; at += stride) slots[at] = 0;
}

/**
 * The counter after `counter`. Marks are compared with a counter for equality, so a number may not come round again
 * while an old mark holds it: at the Int32 limit, `forget` clears the marks and counting starts over at 1.
 */
function nextCount(counter: number, forget: () => void): number {
  if (counter < GENERATION_LIMIT) return counter + 1;
  forget();
  return 1;
}

/** The characters that the text of a number, bigint or boolean can hold ("-1.5e+21", "Infinity", "NaN", "true", "false"), lower-cased. */
const SCALAR_TEXT = /^[-+.0-9abefilnrstuy]*$/;

/** A field read by at most this many items is not scanned if each of them has a clause elsewhere. */
const RARELY_USED_FIELD = 16;

/**
 * Every field scanned costs a lookup and a pass for every event, whatever its length: a field few items need (a
 * process's IntegrityLevel or User next to its CommandLine) is left out when each of those items keeps another clause.
 * Dropping a clause only lets more items through to their full test, so results do not change. What is left of a
 * dropped clause is the fields it reads: an atom only holds on a present field, which costs a lookup to check.
 */
function withoutRarelyUsedFields(itemClauses: readonly AtomClauses[]): { kept: AtomClauses[]; droppedFields: (ClauseFields | undefined)[] } {
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
  return {
    kept: itemClauses.map((clauses) => clauses.filter(kept)),
    droppedFields: itemClauses.map((clauses) => {
      const fields = clauseFieldsOf(clauses.filter((clause) => !kept(clause)));
      return fields.length > 0 ? fields : undefined;
    }),
  };
}

/**
 * Selects, for one event, the items (rules) of a fixed list whose atom clauses can all hold.
 * An item's clauses are numbered one after the other, its most selective first. Scans set the bits of the clauses they
 * satisfy in a bitset a few hundred bytes long, and note the first clauses among them; only those items have their other
 * clauses' bits checked. Each clause mark then touches no per-clause or per-item record, which between two events other
 * work evicts from the caches.
 */
export class Prefilter<T> {
  private readonly unconditional: number[] = [];
  private readonly fields: FieldIndex[] = [];
  /** Bits of the clauses satisfied for the event being processed. */
  private readonly clauseMarks: Int32Array;
  /** Bits of the clauses that come first in their item. */
  private readonly firstClauseBits: Int32Array;
  /** Per clause that comes first in its item: item << CLAUSE_COUNT_BITS | its number of clauses. */
  private readonly firstClauses: Int32Array;
  /** First clauses marked for the event being processed. */
  private readonly firstClausesMarked: number[] = [];
  /** Counter of scans, compared with the `SEEN_IN_SCAN` slots (see nextCount). */
  private scanGeneration = 0;
  /** Serial of the event scanned last: the clause marks are about it. */
  private scannedEvent = -1;
  /** The clause tracking each value list this pre-selection decides. */
  private readonly listClauses = new Map<DecidableList, number>();
  /** Items selected for the event being processed. */
  private readonly selected: number[] = [];
  /** Clauses with an atom every present value satisfies (starts with ""): marked for every event. */
  private readonly alwaysHolds: Int32Array;
  /** Per item, the fields of each clause left out with a rarely used field (see withoutRarelyUsedFields). */
  private readonly droppedClauseFields: (ClauseFields | undefined)[];

  /**
   * @param listsOf value lists of an item, which this pre-selection decides when it scans their field
   * @param gramScanner reads long ASCII values of fields with thousands of literals (see AhoCorasick)
   */
  constructor(
    private readonly items: readonly T[],
    atomsOf: (item: T) => AtomClauses,
    listsOf: (item: T) => readonly DecidableList[] = () => [],
    gramScanner?: GramScanner,
  ) {
    const byField = new Map<string, { atom: Atom; clause: number }[]>();
    /** Per clause: item << CLAUSE_COUNT_BITS | number of clauses for an item's first clause, -1 for other clauses. */
    const firstClauses: number[] = [];
    const alwaysHolds: number[] = [];
    const { kept: itemClauses, droppedFields } = withoutRarelyUsedFields(items.map(atomsOf));
    this.droppedClauseFields = droppedFields;
    itemClauses.forEach((clauses, index) => {
      if (clauses.length === 0) {
        this.unconditional.push(index);
        return;
      }
      // Dropping clauses only lets more items through to their full test.
      const kept = clauses.slice(0, (1 << CLAUSE_COUNT_BITS) - 1);
      kept.forEach((atoms, k) => {
        const clause = firstClauses.length;
        firstClauses.push(k === 0 ? (index << CLAUSE_COUNT_BITS) | kept.length : -1);
        for (const atom of atoms) {
          const list = byField.get(atom.field) ?? [];
          list.push({ atom, clause });
          byField.set(atom.field, list);
        }
      });
    });
    const listsByField = new Map<string, DecidableList[]>();
    for (const list of new Set(items.flatMap(listsOf))) listsByField.set(list.field, [...(listsByField.get(list.field) ?? []), list]);
    // Equality is decided in the same pass as the other atoms (the literal spans the value), so scans need no
    // lower-cased copy of the value and no hashing of it.
    const slotOf: Record<Atom["kind"], number> = { contains: ANYWHERE, startswith: AT_START, endswith: AT_END, equals: WHOLE };
    for (const [field, entries] of byField) {
      const empty: number[] = [];
      const literalIds = new Map<string, number>();
      /** Per literal: its clauses anywhere, at start, at end, whole (by slot - ANYWHERE). */
      const literals: number[][][] = [];
      const add = (atom: Atom, clause: number): void => {
        let id = literalIds.get(atom.literal);
        if (id === undefined) {
          id = literals.length;
          literalIds.set(atom.literal, id);
          literals.push([[], [], [], []]);
        }
        literals[id]![slotOf[atom.kind] - ANYWHERE]!.push(clause);
      };
      for (const { atom, clause } of entries) {
        if (atom.literal === "") {
          // Every value starts with, ends with and contains "": such an atom rules nothing out.
          if (atom.kind === "equals") empty.push(clause);
          else alwaysHolds.push(clause);
          continue;
        }
        add(atom, clause);
      }
      // A field read in full anyway takes the lists' other literals too; one with a skip check only decides lists whose
      // literals it already looks for, since a shorter or commoner literal could cost it most of its skipping.
      const skipCheck = SkipCheck.of([...literalIds.keys()]);
      for (const list of literalIds.size === 0 ? [] : (listsByField.get(field) ?? [])) {
        if (skipCheck !== undefined && !list.atoms.every((atom) => literalIds.has(atom.literal))) continue;
        const clause = firstClauses.length;
        firstClauses.push(-1);
        for (const atom of list.atoms) add(atom, clause);
        this.listClauses.set(list, clause);
      }
      const literalInfo = new Int32Array(literals.length * LITERAL_STRIDE);
      const literalClauses: number[] = [];
      const texts = [...literalIds.keys()];
      literals.forEach((lists, id) => {
        const base = id * LITERAL_STRIDE;
        literalInfo[base + LITERAL_LENGTH] = texts[id]!.length;
        lists.forEach((clauses, list) => {
          literalInfo[base + ANYWHERE + list] = literalClauses.length;
          for (const clause of clauses) literalClauses.push(clause);
        });
        literalInfo[base + END] = literalClauses.length;
      });
      this.fields.push({
        field,
        memos: [scanMemo()],
        empty: Int32Array.from(empty),
        literalInfo,
        literalClauses: Int32Array.from(literalClauses),
        automaton: texts.length > 0 ? new AhoCorasick(texts, gramScanner) : undefined,
        skipCheck,
        scalarLiterals: texts.some((literal) => SCALAR_TEXT.test(literal)),
        shortest: Math.min(...texts.map((literal) => literal.length)),
      });
    }
    this.firstClauses = Int32Array.from(firstClauses);
    this.clauseMarks = new Int32Array(Math.ceil(firstClauses.length / 32));
    this.firstClauseBits = new Int32Array(this.clauseMarks.length);
    firstClauses.forEach((first, clause) => {
      if (first >= 0) this.firstClauseBits[clause >> 5]! |= 1 << (clause & 31);
    });
    this.alwaysHolds = Int32Array.from(alwaysHolds);
  }

  /** Bound once, so that advancing a counter allocates nothing. */
  private readonly forgetScanMarks = (): void => {
    for (const index of this.fields) clearSlots(index.literalInfo, SEEN_IN_SCAN, LITERAL_STRIDE);
  };

  /** Whether `list` holds for `event`, if this pre-selection tracks the list and scanned the event last; undefined otherwise. */
  decide(list: DecidableList, event: SigmaEvent): boolean | undefined {
    if (this.scannedEvent !== event.serial) return undefined;
    let clause: number | undefined;
    if (list.lastTracker === this) clause = list.lastClause;
    else {
      clause = this.listClauses.get(list);
      if (clause === undefined) return undefined;
      list.lastTracker = this;
      list.lastClause = clause;
    }
    return this.marked(clause);
  }

  private marked(clause: number): boolean {
    return (this.clauseMarks[clause >> 5]! & (1 << (clause & 31))) !== 0;
  }

  /** The items that could match, in their original order. */
  candidates(event: SigmaEvent): T[] {
    this.clauseMarks.fill(0);
    this.firstClausesMarked.length = 0;
    this.scannedEvent = event.serial;
    if (this.listClauses.size > 0 && !event.scans.includes(this)) event.scans.push(this);
    const selected = this.selected;
    selected.length = 0;
    for (const index of this.unconditional) selected.push(index);
    if (this.alwaysHolds.length > 0) this.mark(this.alwaysHolds, 0, this.alwaysHolds.length);
    for (const index of this.fields) {
      if (index.field === ANY_FIELD) {
        this.scanEveryValue(index, event);
        continue;
      }
      const text = event.text(index.field);
      if (text === undefined) continue;
      if (typeof text === "string") this.scanValue(index, text, index.memos[0]!);
      else for (let k = 0; k < text.length; k++) this.scanValue(index, text[k]!, index.memos[0]!);
    }
    for (const first of this.firstClausesMarked) {
      const packed = this.firstClauses[first]!;
      let clause = first + 1;
      const end = first + (packed & ((1 << CLAUSE_COUNT_BITS) - 1));
      while (clause < end && this.marked(clause)) clause++;
      const item = packed >> CLAUSE_COUNT_BITS;
      const dropped = this.droppedClauseFields[item];
      if (clause === end && (dropped === undefined || hasFieldOfEach(dropped, event))) selected.push(item);
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
    const memos = index.memos;
    const skipCheck = index.skipCheck;
    const values = event.valueList();
    let place = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value === "string") {
        if (place === memos.length && place < MEMO_PLACES) memos.push(scanMemo());
        const memo = memos[place < MEMO_PLACES ? place++ : 0]!;
        // Nearly every value fails the skip check, which reads only the new value: comparing it with the value this place
        // held in the event before would first load that old string.
        if (skipCheck !== undefined && value !== "" && !skipCheck.mayContain(value)) continue;
        this.scanValue(index, value, memo);
      } else if (typeof value === "object" ? value !== null : index.scalarLiterals) {
        const text = toText(value);
        if (typeof text === "string") this.scanValue(index, text, memos[0]!);
        else if (text !== undefined) for (const item of text) this.scanValue(index, item, memos[0]!);
      }
    }
  }

  /** The memo of the value being scanned, which records its marks. */
  private recording: ScanMemo | undefined;

  /** Records the satisfied clauses `clauses[start..end)`. */
  private mark(clauses: Int32Array, start: number, end: number): void {
    const memo = this.recording;
    if (memo !== undefined && memo.count >= 0 && start < end) {
      if (memo.count === MEMO_RANGES) memo.count = -1;
      else {
        memo.ranges[2 * memo.count] = start;
        memo.ranges[2 * memo.count + 1] = end;
        memo.count++;
      }
    }
    const { clauseMarks, firstClauseBits } = this;
    for (let k = start; k < end; k++) {
      const clause = clauses[k]!;
      const word = clause >> 5;
      const bit = 1 << (clause & 31);
      const marks = clauseMarks[word]!;
      if ((marks & bit) !== 0) continue;
      clauseMarks[word] = marks | bit;
      if ((firstClauseBits[word]! & bit) !== 0) this.firstClausesMarked.push(clause);
    }
  }

  private scanValue(index: FieldIndex, value: string, memo: ScanMemo): void {
    if (value === "") {
      if (index.empty.length > 0) this.mark(index.empty, 0, index.empty.length);
      return;
    }
    // Lower-casing can at most double a value's length (U+0130 becomes two code units): shorter values hold no literal.
    if (value.length * 2 < index.shortest) return;
    if (memo.count >= 0 && memo.value === value) {
      for (let k = 0; k < memo.count; k++) this.mark(index.literalClauses, memo.ranges[2 * k]!, memo.ranges[2 * k + 1]!);
      return;
    }
    memo.value = value;
    memo.count = 0;
    this.recording = memo;
    this.scanText(index, value);
    this.recording = undefined;
  }

  private scanText(index: FieldIndex, text: string): void {
    const automaton = index.automaton;
    if (!automaton || (index.skipCheck !== undefined && !index.skipCheck.mayContain(text))) return;
    this.scanGeneration = nextCount(this.scanGeneration, this.forgetScanMarks);
    this.scanning = index;
    automaton.scan(text, false, this.recordOccurrence);
  }

  /** The field index being scanned, for recordOccurrence (bound once, so scans allocate nothing). */
  private scanning: FieldIndex | undefined;

  private readonly recordOccurrence: OccurrenceVisitor = (id, last, textLength) => {
    const { literalInfo: info, literalClauses: clauses } = this.scanning!;
    const base = id * LITERAL_STRIDE;
    // Scans report occurrences in no particular order: any one satisfies "anywhere", the one at the start "at start".
    if (info[base + SEEN_IN_SCAN] !== this.scanGeneration) {
      info[base + SEEN_IN_SCAN] = this.scanGeneration;
      this.mark(clauses, info[base + ANYWHERE]!, info[base + AT_START]!);
    }
    const atStart = last + 1 === info[base + LITERAL_LENGTH];
    if (atStart) this.mark(clauses, info[base + AT_START]!, info[base + AT_END]!);
    if (last + 1 === textLength) {
      this.mark(clauses, info[base + AT_END]!, info[base + WHOLE]!);
      if (atStart) this.mark(clauses, info[base + WHOLE]!, info[base + END]!);
    }
    return false;
  };
}
