/**
 * Flattening EVTX records (omerbenamram/evtx JSON layout: Event.System, Event.EventData, Event.UserData) into Sigma
 * fields. Records of one kind (channel and EventID) nearly always hold the same elements in the same order, so the
 * first record of a kind is walked once to record its layout: every key met, how its value was treated, and which
 * field names each leaf value answers to. Later records are walked against that layout, comparing keys (JSON.parse
 * interns them, so a comparison is one pointer check) and copying their leaf values into an array; they build no
 * Map and fold no names. A record that differs anywhere gets a layout of its own.
 */
import { isRecord, lowerCaseName, NAME_CACHE_LIMIT, type FieldMap, type ValueListed } from "./record-fields.ts";

/** How the walk treated a key's value; part of the layout, so that equal keys with other structures never share one. */
const LEAF = 0;
const ELEMENT = 1;
const NOTHING = 2;
/** Closes an ELEMENT: `{A: {B: 1}, C: 2}` and `{A: {B: 1, C: 2}}` meet the same keys. */
const END = 3;

interface Layout {
  keys: string[];
  shapes: number[];
  /** Lower-cased field name → index of its leaf value. */
  names: Map<string, number>;
  /** Built on first use by `valueOrder`. */
  valueOrder?: ValueOrder;
  leafCount: number;
}

/** One walk over a record: recording a new layout, or checking the record against a known one. */
class Walk {
  readonly leaves: unknown[];
  private position = 0;
  private leafCount = 0;

  constructor(
    readonly layout: Layout,
    readonly recording: boolean,
  ) {
    this.leaves = recording ? [] : new Array(layout.leafCount);
  }

  /** Meets `key`; false when checking and the record differs from the layout here, which ends the walk. */
  step(key: string, shape: number): boolean {
    if (this.recording) {
      this.layout.keys.push(key);
      this.layout.shapes.push(shape);
      return true;
    }
    const at = this.position++;
    return this.layout.keys[at] === key && this.layout.shapes[at] === shape;
  }

  end(): boolean {
    return this.step("", END);
  }

  /**
   * Ends a walk that matched. A checked record that got here matched the whole layout: every walk steps System,
   * EventData and UserData, and every element ends with END, so no record can match a layout and stop short of its end.
   */
  finish(): void {
    if (this.recording) this.layout.leafCount = this.leafCount;
  }

  /**
   * Adds a leaf value. Its field name is given only while recording: a later leaf of the same name replaces an
   * earlier one unless `ifAbsent`, as `Map#set` (or a set guarded by `has`) would on the flattened fields.
   */
  leaf(value: unknown, name: string | undefined, ifAbsent = false): number {
    const index = this.leafCount++;
    this.leaves[index] = value;
    if (name !== undefined) this.name(name, index, ifAbsent);
    return index;
  }

  name(name: string, leaf: number, ifAbsent: boolean): void {
    if (!ifAbsent || !this.layout.names.has(name)) this.layout.names.set(name, leaf);
  }
}

function xmlText(value: unknown): unknown {
  if (isRecord(value)) return "#text" in value ? value["#text"] : undefined;
  return value;
}

/** `${element}_${attribute}` lower-cased, cached per pair: System attributes repeat in every record. */
const attributeNames = new Map<string, Map<string, string>>();

function attributeName(element: string, attribute: string): string {
  let byAttribute = attributeNames.get(element);
  if (byAttribute === undefined) {
    byAttribute = new Map();
    if (attributeNames.size < NAME_CACHE_LIMIT) attributeNames.set(element, byAttribute);
  }
  let name = byAttribute.get(attribute);
  if (name === undefined) {
    name = `${element}_${attribute}`.toLowerCase();
    if (byAttribute.size < NAME_CACHE_LIMIT) byAttribute.set(attribute, name);
  }
  return name;
}

/**
 * System elements: `Provider` {#attributes: {Name}} → Provider_Name; `EventID` {#text, #attributes} → EventID (+
 * EventID_Qualifiers); nested elements join their names with `_`. `name` is that joined name, built only while recording.
 */
function walkSystemElement(walk: Walk, key: string, value: unknown, name: string): boolean {
  if (!isRecord(value)) {
    if (!walk.step(key, LEAF)) return false;
    walk.leaf(value, walk.recording ? lowerCaseName(name) : undefined);
    return true;
  }
  if (!walk.step(key, ELEMENT)) return false;
  // for…in rather than Object.entries: this runs for every element of every record, and entries allocates.
  for (const child in value) {
    const childValue = value[child];
    if (child === "#attributes") {
      if (!isRecord(childValue)) {
        if (!walk.step(child, NOTHING)) return false;
        continue;
      }
      if (!walk.step(child, ELEMENT)) return false;
      for (const attribute in childValue) {
        if (!walk.step(attribute, LEAF)) return false;
        walk.leaf(childValue[attribute], walk.recording ? attributeName(name, attribute) : undefined);
      }
      if (!walk.end()) return false;
    } else if (child === "#text") {
      if (!walk.step(child, LEAF)) return false;
      walk.leaf(childValue, walk.recording ? lowerCaseName(name) : undefined);
    } else if (child.startsWith("#")) {
      if (!walk.step(child, NOTHING)) return false;
    } else if (!walkSystemElement(walk, child, childValue, walk.recording ? `${name}_${child}` : "")) return false;
  }
  return walk.end();
}

/** An EventData item name lower-cased and, if it has spaces, also without them, cached per name: both repeat in every record. */
const eventDataNames = new Map<string, { folded: string; spaceless?: string }>();

function eventDataName(key: string): { folded: string; spaceless?: string } {
  let name = eventDataNames.get(key);
  if (name === undefined) {
    // Some providers (Defender) name data items with spaces ("Threat Name"); Sigma rules use ThreatName.
    name = key.includes(" ") ? { folded: lowerCaseName(key), spaceless: lowerCaseName(key.replace(/ /g, "")) } : { folded: lowerCaseName(key) };
    if (eventDataNames.size < NAME_CACHE_LIMIT) eventDataNames.set(key, name);
  }
  return name;
}

/** Named items become fields of their own; unnamed `Data` items (one value or a list) and bare text become `Data`. */
function walkEventData(walk: Walk, data: unknown): boolean {
  if (!isRecord(data)) {
    const present = data !== undefined && data !== null;
    if (!walk.step("EventData", present ? LEAF : NOTHING)) return false;
    if (present) walk.leaf(data, walk.recording ? "data" : undefined);
    return true;
  }
  if (!walk.step("EventData", ELEMENT)) return false;
  for (const key in data) {
    const value = data[key];
    if (key === "#attributes") {
      if (!walk.step(key, NOTHING)) return false;
      continue;
    }
    if (!walk.step(key, LEAF)) return false;
    if (key === "Data") {
      const items = Array.isArray(value) ? value.map(xmlText) : [xmlText(value)];
      walk.leaf(items.length === 1 ? items[0] : items, walk.recording ? "data" : undefined);
    } else if (key === "#text") walk.leaf(value, walk.recording ? "data" : undefined);
    else {
      const text = isRecord(value) ? (xmlText(value) ?? value) : value;
      if (!walk.recording) walk.leaf(text, undefined);
      else {
        const name = eventDataName(key);
        const leaf = walk.leaf(text, name.folded);
        if (name.spaceless !== undefined) walk.name(name.spaceless, leaf, true);
      }
    }
  }
  return walk.end();
}

/** UserData has one provider-specific element; its leaves are exposed under their own names unless those are taken. */
function walkUserData(walk: Walk, key: string, data: unknown): boolean {
  if (!isRecord(data)) return walk.step(key, NOTHING);
  if (!walk.step(key, ELEMENT)) return false;
  for (const child in data) {
    const value = data[child];
    if (child.startsWith("#")) {
      if (!walk.step(child, NOTHING)) return false;
    } else if (isRecord(value) && !("#text" in value)) {
      if (!walkUserData(walk, child, value)) return false;
    } else {
      if (!walk.step(child, LEAF)) return false;
      walk.leaf(xmlText(value), walk.recording ? lowerCaseName(child) : undefined, true);
    }
  }
  return walk.end();
}

function walkEvent(walk: Walk, event: Record<string, unknown>): boolean {
  const system = event["System"];
  if (!isRecord(system)) {
    if (!walk.step("System", NOTHING)) return false;
  } else {
    if (!walk.step("System", ELEMENT)) return false;
    for (const key in system) if (!walkSystemElement(walk, key, system[key], key)) return false;
    if (!walk.end()) return false;
  }
  if (!walkEventData(walk, event["EventData"]) || !walkUserData(walk, "UserData", event["UserData"])) return false;
  walk.finish();
  return true;
}

/** Layouts by channel, then EventID (their values, not objects), most recently used first. */
const layoutsByKind = new Map<unknown, Map<unknown, Layout[]>>();
let kindCount = 0;
/** New kinds of record stop being remembered past this many, so hostile input cannot grow the cache without bound. */
const KIND_LIMIT = 4096;
/** Layouts kept per kind (optional elements, UserData variants); the least recently used one goes. */
const LAYOUTS_PER_KIND = 8;

/** A primitive that tells kinds of records apart: the value itself, or the text of an element. */
function kindValue(value: unknown): unknown {
  const text = isRecord(value) ? value["#text"] : value;
  return typeof text === "object" || typeof text === "function" ? undefined : text;
}

/** Where a layout's field values sit, in the order a Map of its fields would list them. */
interface ValueOrder {
  /** The leaf of each name, in name order; null when that is every leaf in leaf order, so that the leaves are the values. */
  leaves: Int32Array | null;
  /** Each name's place in that order. */
  places: Map<string, number>;
}

function valueOrder(layout: Layout): ValueOrder {
  if (layout.valueOrder === undefined) {
    const leaves = Int32Array.from(layout.names.values());
    const inLeafOrder = leaves.length === layout.leafCount && leaves.every((leaf, index) => leaf === index);
    layout.valueOrder = { leaves: inLeafOrder ? null : leaves, places: new Map([...layout.names.keys()].map((name, place) => [name, place])) };
  }
  return layout.valueOrder;
}

/** How many kinds of record (channel and EventID) have layouts remembered; for tests of the cache's bound. */
export function rememberedKinds(): number {
  return kindCount;
}

/** The Sigma fields of one EVTX record. */
export function flattenEvtx(record: unknown): FieldMap {
  const event = isRecord(record) && isRecord(record["Event"]) ? record["Event"] : record;
  if (!isRecord(event)) return new Map();
  const system = isRecord(event["System"]) ? event["System"] : undefined;
  const channel = kindValue(system?.["Channel"]);
  const eventId = kindValue(system?.["EventID"]);
  const known = layoutsByKind.get(channel)?.get(eventId);
  if (known !== undefined) {
    for (let i = 0; i < known.length; i++) {
      const walk = new Walk(known[i]!, false);
      if (!walkEvent(walk, event)) continue;
      if (i > 0) known.unshift(...known.splice(i, 1));
      return new EvtxFields(walk.layout, walk.leaves);
    }
  }
  const walk = new Walk({ keys: [], shapes: [], names: new Map(), leafCount: 0 }, true);
  walkEvent(walk, event);
  if (known !== undefined) {
    known.unshift(walk.layout);
    if (known.length > LAYOUTS_PER_KIND) known.pop();
  } else if (kindCount < KIND_LIMIT) {
    kindCount++;
    let byEventId = layoutsByKind.get(channel);
    if (byEventId === undefined) layoutsByKind.set(channel, (byEventId = new Map()));
    byEventId.set(eventId, [walk.layout]);
  }
  return new EvtxFields(walk.layout, walk.leaves);
}

/**
 * The fields of one record: names shared by every record of its layout, the record's own leaf values, and the fields
 * mapping aliases add to this record only. Behaves like the Map a flattening would have built, entry for entry.
 */
class EvtxFields implements FieldMap, ValueListed {
  #added: Map<string, unknown> | undefined;
  #values: unknown[] | undefined;

  constructor(
    private readonly layout: Layout,
    private readonly leaves: readonly unknown[],
  ) {}

  get size(): number {
    return this.#entries().length;
  }

  get(name: string): unknown {
    if (this.#added !== undefined && this.#added.has(name)) return this.#added.get(name);
    const leaf = this.layout.names.get(name);
    return leaf === undefined ? undefined : this.leaves[leaf];
  }

  has(name: string): boolean {
    return this.layout.names.has(name) || (this.#added !== undefined && this.#added.has(name));
  }

  set(name: string, value: unknown): this {
    (this.#added ??= new Map()).set(name, value);
    this.#values = undefined;
    return this;
  }

  values(): MapIterator<unknown> {
    return this.valueList().values();
  }

  valueList(): readonly unknown[] {
    // Keyword searches read every value of every record: no entries are built for them.
    const order = valueOrder(this.layout);
    if (this.#added === undefined && order.leaves === null) return this.leaves;
    if (this.#values === undefined) {
      let values: unknown[];
      if (order.leaves === null) values = this.leaves.slice();
      else {
        values = new Array(order.leaves.length);
        for (let place = 0; place < order.leaves.length; place++) values[place] = this.leaves[order.leaves[place]!];
      }
      for (const [name, value] of this.#added ?? []) {
        const place = order.places.get(name);
        if (place === undefined) values.push(value);
        else values[place] = value;
      }
      this.#values = values;
    }
    return this.#values;
  }

  keys(): MapIterator<string> {
    return this.#entries()
      .map(([name]) => name)
      .values();
  }

  entries(): MapIterator<[string, unknown]> {
    return this.#entries().values();
  }

  [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }

  forEach(callback: (value: unknown, key: string, map: ReadonlyMap<string, unknown>) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#entries()) callback.call(thisArg, value, name, this);
  }

  #entries(): [string, unknown][] {
    const entries: [string, unknown][] = [];
    for (const [name, leaf] of this.layout.names) entries.push([name, this.#added !== undefined && this.#added.has(name) ? this.#added.get(name) : this.leaves[leaf]]);
    if (this.#added !== undefined) for (const [name, value] of this.#added) if (!this.layout.names.has(name)) entries.push([name, value]);
    return entries;
  }
}
