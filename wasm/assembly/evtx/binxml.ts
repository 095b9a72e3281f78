// BinXML expansion: walks the token stream of a record (fragment → template instance → template
// definition with substitution tokens) and builds the node tree with substitution values resolved.
import {
  ERR_NAME_OUT_OF_CHUNK, ERR_NESTING_TOO_DEEP, ERR_SUBSTITUTION_ARRAY, ERR_SUBSTITUTION_INDEX,
  ERR_TEMPLATE_OUT_OF_CHUNK, ERR_TOKEN_UNKNOWN, ERR_TOO_MANY_NODES,
  ERR_UNBALANCED_ELEMENTS, ERR_VALUE_INVALID, ERR_EXPANSION_TOO_LARGE, chunkLength, errorCode, fail, inChunk, u16At, u32At, u8At,
} from "./state";
import {
  F_A, F_B, F_PARENT, F_TYPE, KIND_ATTRIBUTE, KIND_CHAR_REF, KIND_ELEMENT, KIND_ENTITY_REF, KIND_PI,
  KIND_VALUE, appendAttribute, appendChild, get, newNode, set,
} from "./tree";

export const TYPE_NULL: u32 = 0x00;
export const TYPE_STRING: u32 = 0x01;
export const TYPE_BINXML: u32 = 0x21;

const MAX_DEPTH = 32; // nested template instances / BinXML substitutions
const MAX_NESTING = 256; // open elements in a record, across fragments (bounds the renderers' recursion)
const MAX_SUBSTITUTIONS: i32 = 1 << 16;

// Work limits per chunk. Templates and BinXML substitution values can reference each other, so a
// crafted 64 KiB chunk could otherwise expand exponentially; real chunks stay far below both limits.
const TOKEN_BUDGET: i32 = 1 << 22; // tokens walked
const RENDER_BUDGET: i64 = 8 << 20; // bytes of names and values the renderers will copy
let tokensLeft: i32 = TOKEN_BUDGET;
let renderLeft: i64 = RENDER_BUDGET;

export function resetBudgets(): void {
  tokensLeft = TOKEN_BUDGET;
  renderLeft = RENDER_BUDGET;
}

/** Charges `bytes` of rendered text (plus a fixed cost per node); false once the chunk's budget is spent. */
function charge(bytes: i32, offset: i32): bool {
  renderLeft -= <i64>bytes + 16;
  if (renderLeft >= 0) return true;
  fail(ERR_EXPANSION_TOO_LARGE, offset);
  return false;
}

// Substitution values of the template instances being expanded (nested instances stack up).
let subOffset: usize = heap.alloc(1024 * 4);
let subSize: usize = heap.alloc(1024 * 4);
let subType: usize = heap.alloc(1024 * 4);
let subCapacity: i32 = 1024;
let subTop: i32 = 0;

let nesting = 0;

/** Per record: drops the substitution values and open-element count of the previous record. */
export function resetSubstitutions(): void {
  subTop = 0;
  nesting = 0;
}

function reserveSubstitutions(count: i32): bool {
  const needed = subTop + count;
  if (needed > MAX_SUBSTITUTIONS) return false;
  if (needed <= subCapacity) return true;
  let capacity = subCapacity;
  while (capacity < needed) capacity <<= 1;
  subOffset = heap.realloc(subOffset, <usize>capacity * 4);
  subSize = heap.realloc(subSize, <usize>capacity * 4);
  subType = heap.realloc(subType, <usize>capacity * 4);
  subCapacity = capacity;
  return true;
}

/**
 * Reads a name reference at `pos` (u32 chunk offset). A name defined inline (offset == position after
 * the reference) is skipped. Returns the position after the reference, or -1.
 */
function readNameReference(pos: i32, node: i32): i32 {
  if (!inChunk(pos, 4)) return -1;
  const nameOffset = <i32>u32At(pos);
  pos += 4;
  if (nameOffset < 0 || !inChunk(nameOffset, 8)) {
    fail(ERR_NAME_OUT_OF_CHUNK, pos - 4);
    return -1;
  }
  const chars = <i32>u16At(nameOffset + 6);
  if (!inChunk(nameOffset + 8, chars * 2)) {
    fail(ERR_NAME_OUT_OF_CHUNK, nameOffset);
    return -1;
  }
  if (!charge(chars * 2, nameOffset)) return -1;
  set(node, F_A, nameOffset);
  if (nameOffset == pos) pos += 8 + chars * 2 + 2;
  return pos;
}

function valueNode(parent: i32, offset: i32, size: i32, type: u32): void {
  if (!charge(size, offset)) return;
  const node = newNode(KIND_VALUE);
  if (node == 0) {
    fail(ERR_TOO_MANY_NODES, offset);
    return;
  }
  set(node, F_A, offset);
  set(node, F_B, size);
  set(node, F_TYPE, <i32>type);
  appendChild(parent, node);
}

/**
 * Expands the BinXML in `[pos, end)` under `root`. `subBase`/`subCount` select the substitution values
 * visible to this fragment (those of the innermost template instance). Returns the position after the
 * end-of-stream token (or `end`), -1 on error. Only template definitions carry the u16 dependency
 * identifier in open-start-element tokens; BinXML stored directly in a record or in a substitution
 * value (forwarded events, CAPI2 user data) does not.
 */
export function expand(pos: i32, end: i32, root: i32, subBase: i32, subCount: i32, depth: i32, inTemplate: bool): i32 {
  if (depth > MAX_DEPTH) {
    fail(ERR_NESTING_TOO_DEEP, pos);
    return -1;
  }
  if (end > chunkLength) end = chunkLength;
  let element = root; // innermost open element
  let container = root; // where values go: the element, or the attribute being read
  while (pos < end) {
    if (errorCode != 0) return -1;
    if (--tokensLeft < 0) {
      fail(ERR_EXPANSION_TOO_LARGE, pos);
      return -1;
    }
    const token = u8At(pos);
    const tokenOffset = pos;
    pos++;
    switch (token & 0xbf) {
      case 0x00: // end of stream
        if (element != root) fail(ERR_UNBALANCED_ELEMENTS, tokenOffset);
        return pos;
      case 0x0f: // fragment header: major, minor, flags
        pos += 3;
        break;
      case 0x01: {
        // open start element: [dependency id u16], data size u32, name, [attribute list size u32]
        if (inTemplate) pos += 2;
        if (!inChunk(pos, 4)) return -1;
        const node = newNode(KIND_ELEMENT);
        if (node == 0) {
          fail(ERR_TOO_MANY_NODES, tokenOffset);
          return -1;
        }
        pos = readNameReference(pos + 4, node);
        if (pos < 0) return -1;
        if (token & 0x40) pos += 4;
        if (++nesting > MAX_NESTING) {
          fail(ERR_NESTING_TOO_DEEP, tokenOffset);
          return -1;
        }
        appendChild(element, node);
        element = node;
        container = node;
        break;
      }
      case 0x02: // close start element
        container = element;
        break;
      case 0x03: // close empty element
      case 0x04: // end element
        if (element == root) {
          fail(ERR_UNBALANCED_ELEMENTS, tokenOffset);
          return -1;
        }
        element = get(element, F_PARENT);
        container = element;
        nesting--;
        break;
      case 0x05: {
        // value text: type u8 (always a string), chars u16, UTF-16
        if (!inChunk(pos, 3)) return -1;
        const type = u8At(pos);
        const chars = <i32>u16At(pos + 1);
        if (type != TYPE_STRING || !inChunk(pos + 3, chars * 2)) {
          fail(ERR_VALUE_INVALID, tokenOffset);
          return -1;
        }
        valueNode(container, pos + 3, chars * 2, TYPE_STRING);
        pos += 3 + chars * 2;
        break;
      }
      case 0x06: {
        // attribute: name
        const node = newNode(KIND_ATTRIBUTE);
        if (node == 0) {
          fail(ERR_TOO_MANY_NODES, tokenOffset);
          return -1;
        }
        pos = readNameReference(pos, node);
        if (pos < 0) return -1;
        if (get(element, 0) != KIND_ELEMENT) {
          fail(ERR_UNBALANCED_ELEMENTS, tokenOffset);
          return -1;
        }
        appendAttribute(element, node);
        container = node;
        break;
      }
      case 0x07: {
        // CDATA section: chars u16, UTF-16 — rendered as text
        if (!inChunk(pos, 2)) return -1;
        const chars = <i32>u16At(pos);
        if (!inChunk(pos + 2, chars * 2)) return -1;
        valueNode(container, pos + 2, chars * 2, TYPE_STRING);
        pos += 2 + chars * 2;
        break;
      }
      case 0x08: {
        // character reference
        if (!inChunk(pos, 2)) return -1;
        const node = newNode(KIND_CHAR_REF);
        if (node == 0) return -1;
        set(node, F_A, <i32>u16At(pos));
        appendChild(container, node);
        pos += 2;
        break;
      }
      case 0x09: {
        // entity reference: name
        const node = newNode(KIND_ENTITY_REF);
        if (node == 0) return -1;
        pos = readNameReference(pos, node);
        if (pos < 0) return -1;
        appendChild(container, node);
        break;
      }
      case 0x0a: {
        // processing instruction target: name; its data token follows
        const node = newNode(KIND_PI);
        if (node == 0) return -1;
        pos = readNameReference(pos, node);
        if (pos < 0) return -1;
        if (pos < end && u8At(pos) == 0x0b) {
          if (!inChunk(pos + 1, 2)) return -1;
          const chars = <i32>u16At(pos + 1);
          if (!inChunk(pos + 3, chars * 2)) return -1;
          set(node, F_B, pos + 3);
          set(node, F_TYPE, chars);
          pos += 3 + chars * 2;
        }
        appendChild(element, node);
        break;
      }
      case 0x0b: {
        // processing instruction data without a target: skip
        if (!inChunk(pos, 2)) return -1;
        pos += 2 + <i32>u16At(pos) * 2;
        break;
      }
      case 0x0c:
        pos = expandTemplateInstance(pos, end, element, depth);
        if (pos < 0) return -1;
        break;
      case 0x0d: // normal substitution: id u16, type u8
      case 0x0e: {
        // optional substitution
        if (!inChunk(pos, 3)) return -1;
        const index = <i32>u16At(pos);
        pos += 3;
        if (index >= subCount) {
          fail(ERR_SUBSTITUTION_INDEX, tokenOffset);
          return -1;
        }
        const slot = <usize>(subBase + index) << 2;
        const offset = load<i32>(subOffset + slot);
        const size = load<i32>(subSize + slot);
        const type = load<u32>(subType + slot);
        if (type == TYPE_BINXML) {
          if (expand(offset, offset + size, container, subBase, subCount, depth + 1, false) < 0) return -1;
        } else if (type != TYPE_NULL || token == 0x0d) {
          // An optional substitution without a value is dropped; a normal one stays as an empty value.
          if (token == 0x0e && size == 0) break;
          valueNode(container, offset, size, type);
        }
        break;
      }
      default:
        fail(ERR_TOKEN_UNKNOWN, tokenOffset);
        return -1;
    }
  }
  if (element != root) fail(ERR_UNBALANCED_ELEMENTS, pos);
  return errorCode != 0 ? -1 : pos;
}

/** Template instance: unknown u8, template id u32, definition offset u32, [inline definition], values. */
function expandTemplateInstance(pos: i32, end: i32, parent: i32, depth: i32): i32 {
  if (!inChunk(pos, 9)) return -1;
  const definition = <i32>u32At(pos + 5);
  pos += 9;
  if (definition < 0 || !inChunk(definition, 24)) {
    fail(ERR_TEMPLATE_OUT_OF_CHUNK, pos - 4);
    return -1;
  }
  const dataSize = <i32>u32At(definition + 20);
  const dataStart = definition + 24;
  if (dataSize < 0 || !inChunk(dataStart, dataSize)) {
    fail(ERR_TEMPLATE_OUT_OF_CHUNK, definition);
    return -1;
  }
  if (definition == pos) pos = dataStart + dataSize;

  if (!inChunk(pos, 4)) return -1;
  const count = <i32>u32At(pos);
  pos += 4;
  if (count < 0 || count > (chunkLength - pos) / 4 || !reserveSubstitutions(count)) {
    fail(ERR_SUBSTITUTION_ARRAY, pos - 4);
    return -1;
  }
  const base = subTop;
  let valueOffset = pos + count * 4;
  for (let i = 0; i < count; i++) {
    const size = <i32>u16At(pos + i * 4);
    const slot = <usize>(base + i) << 2;
    store<i32>(subOffset + slot, valueOffset);
    store<i32>(subSize + slot, size);
    store<u32>(subType + slot, u8At(pos + i * 4 + 2));
    valueOffset += size;
  }
  if (valueOffset > end || valueOffset > chunkLength) {
    fail(ERR_SUBSTITUTION_ARRAY, pos);
    return -1;
  }
  subTop = base + count;
  const result = expand(dataStart, dataStart + dataSize, parent, base, count, depth + 1, true);
  subTop = base;
  return result < 0 ? -1 : valueOffset;
}
