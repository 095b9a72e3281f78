// A per-record node arena: BinXML (template + substitutions) is expanded into this small tree once,
// then rendered as JSON or XML. Nodes are i32 slots in linear memory, reset for every record.

export const KIND_DOCUMENT = 0;
export const KIND_ELEMENT = 1;
export const KIND_ATTRIBUTE = 2;
export const KIND_VALUE = 3; // a = chunk offset, b = size in bytes, type = value type
export const KIND_ENTITY_REF = 4; // a = name offset
export const KIND_CHAR_REF = 5; // a = code unit
export const KIND_PI = 6; // a = target name offset, b = chunk offset of data, type = data chars

export const F_KIND = 0;
export const F_NEXT = 1;
export const F_FIRST = 2; // first child (elements) or first value (attributes)
export const F_LAST = 3;
export const F_FIRST_ATTR = 4;
export const F_LAST_ATTR = 5;
export const F_A = 6; // name offset (elements, attributes) or payload
export const F_B = 7;
export const F_TYPE = 8;
export const F_PARENT = 9;
const FIELDS = 10;
const MAX_NODES = 1 << 20;

let nodes: usize = heap.alloc(4096 * FIELDS * 4);
let capacity: i32 = 4096;
let count: i32 = 1; // node 0 is "none"

export function resetTree(): i32 {
  count = 1;
  return newNode(KIND_DOCUMENT);
}

/** Returns the new node id, or 0 when the arena limit is reached (the caller reports the error). */
export function newNode(kind: i32): i32 {
  if (count >= capacity) {
    if (capacity >= MAX_NODES) return 0;
    capacity <<= 1;
    nodes = heap.realloc(nodes, <usize>capacity * FIELDS * 4);
  }
  const id = count++;
  memory.fill(nodes + <usize>id * FIELDS * 4, 0, FIELDS * 4);
  store<i32>(nodes + <usize>id * FIELDS * 4, kind);
  return id;
}

// @ts-ignore: decorator
@inline export function get(node: i32, field: i32): i32 {
  return load<i32>(nodes + ((<usize>node * FIELDS + <usize>field) << 2));
}
// @ts-ignore: decorator
@inline export function set(node: i32, field: i32, value: i32): void {
  store<i32>(nodes + ((<usize>node * FIELDS + <usize>field) << 2), value);
}

export function appendChild(parent: i32, child: i32): void {
  const last = get(parent, F_LAST);
  if (last == 0) set(parent, F_FIRST, child);
  else set(last, F_NEXT, child);
  set(parent, F_LAST, child);
  set(child, F_PARENT, parent);
}

export function appendAttribute(element: i32, attribute: i32): void {
  const last = get(element, F_LAST_ATTR);
  if (last == 0) set(element, F_FIRST_ATTR, attribute);
  else set(last, F_NEXT, attribute);
  set(element, F_LAST_ATTR, attribute);
  set(attribute, F_PARENT, element);
}
