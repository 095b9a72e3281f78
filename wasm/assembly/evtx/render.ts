// Renders the expanded node tree as JSON (the shape of omerbenamram/evtx: "#attributes", "#text",
// <Data Name="X"> as key X, repeated names suffixed _1, _2 …) or as indented XML.
import { putChar, putDecimalU64, putLiteral, putSpaces } from "../shared/output";
import { chunkPtr } from "./state";
import {
  F_A, F_B, F_FIRST, F_FIRST_ATTR, F_KIND, F_NEXT, F_TYPE, KIND_CHAR_REF, KIND_ELEMENT, KIND_ENTITY_REF, KIND_PI,
  KIND_VALUE, get,
} from "./tree";
import { ESC_JSON, ESC_XML_ATTRIBUTE, ESC_XML_TEXT, putJsonValue, putUtf16, putValueText } from "./values";

const T_STRING: u32 = 0x01;

// @ts-ignore: decorator
@inline function isText(kind: i32): bool {
  return kind == KIND_VALUE || kind == KIND_ENTITY_REF || kind == KIND_CHAR_REF;
}

// @ts-ignore: decorator
@inline function nameChars(nameOffset: i32): i32 {
  return <i32>load<u16>(chunkPtr + <usize>nameOffset + 6);
}

function nameIs(nameOffset: i32, literal: string): bool {
  const chars = nameChars(nameOffset);
  return chars == literal.length &&
    memory.compare(chunkPtr + <usize>nameOffset + 8, changetype<usize>(literal), (<usize>chars) << 1) == 0;
}

function putName(nameOffset: i32, mode: i32): void {
  putUtf16(nameOffset + 8, nameChars(nameOffset), mode);
}

/** Text of one entity reference, resolved for JSON, kept as a reference in XML. */
function putEntity(nameOffset: i32, mode: i32): void {
  if (mode == ESC_JSON) {
    if (nameIs(nameOffset, "amp")) { putChar(0x26); return; }
    if (nameIs(nameOffset, "lt")) { putChar(0x3c); return; }
    if (nameIs(nameOffset, "gt")) { putChar(0x3e); return; }
    if (nameIs(nameOffset, "quot")) { putLiteral("\\\""); return; }
    if (nameIs(nameOffset, "apos")) { putChar(0x27); return; }
  }
  putChar(0x26);
  putName(nameOffset, mode);
  putChar(0x3b);
}

/** Concatenated text of the text nodes under `container` (an element or an attribute). */
function putText(container: i32, mode: i32): void {
  for (let n = get(container, F_FIRST); n != 0; n = get(n, F_NEXT)) {
    const kind = get(n, F_KIND);
    if (kind == KIND_VALUE) putValueText(<u32>get(n, F_TYPE), get(n, F_A), get(n, F_B), mode);
    else if (kind == KIND_ENTITY_REF) putEntity(get(n, F_A), mode);
    else if (kind == KIND_CHAR_REF) {
      if (mode == ESC_JSON) putUtf16CharEscaped(get(n, F_A));
      else {
        putLiteral("&#");
        putDecimalU64(<u64>get(n, F_A));
        putChar(0x3b);
      }
    }
  }
}

function putUtf16CharEscaped(unit: i32): void {
  if (unit == 0x22 || unit == 0x5c) {
    putChar(0x5c);
    putChar(unit);
  } else if (unit < 0x20) {
    putLiteral("\\u00");
    putChar(0x30 + (unit >> 4));
    putChar((unit & 0xf) < 10 ? 0x30 + (unit & 0xf) : 0x57 + (unit & 0xf));
  } else putChar(unit);
}

/** JSON for text content: the typed value when it is a single value, else one concatenated string. */
function putJsonText(container: i32): void {
  const first = get(container, F_FIRST);
  let texts = 0;
  for (let n = first; n != 0; n = get(n, F_NEXT)) if (isText(get(n, F_KIND))) texts++;
  if (texts == 1) {
    for (let n = first; n != 0; n = get(n, F_NEXT)) {
      if (get(n, F_KIND) == KIND_VALUE) {
        putJsonValue(<u32>get(n, F_TYPE), get(n, F_A), get(n, F_B));
        return;
      }
    }
  }
  putChar(0x22);
  putText(container, ESC_JSON);
  putChar(0x22);
}

// Keys already written in the JSON objects being rendered (a stack: one frame per open object).
let keyOffset: usize = heap.alloc(256 * 4);
let keyChars: usize = heap.alloc(256 * 4);
let keyCapacity: i32 = 256;
let keyTop: i32 = 0;

/** Writes `"key":` (or `"key_N":` for the N-th repeat within the current object, frame starting at `base`). */
function putKey(offset: i32, chars: i32, base: i32, comma: bool): void {
  let repeats = 0;
  for (let i = base; i < keyTop; i++) {
    if (load<i32>(keyChars + (<usize>i << 2)) == chars &&
      memory.compare(chunkPtr + <usize>load<i32>(keyOffset + (<usize>i << 2)), chunkPtr + <usize>offset, (<usize>chars) << 1) == 0) {
      repeats++;
    }
  }
  if (keyTop >= keyCapacity) {
    keyCapacity <<= 1;
    keyOffset = heap.realloc(keyOffset, <usize>keyCapacity << 2);
    keyChars = heap.realloc(keyChars, <usize>keyCapacity << 2);
  }
  store<i32>(keyOffset + (<usize>keyTop << 2), offset);
  store<i32>(keyChars + (<usize>keyTop << 2), chars);
  keyTop++;
  if (comma) putChar(0x2c);
  putChar(0x22);
  putUtf16(offset, chars, ESC_JSON);
  if (repeats > 0) {
    putChar(0x5f);
    putDecimalU64(<u64>repeats);
  }
  putChar(0x22);
  putChar(0x3a);
}

/** The attribute `name` of `element` when it has a value, else 0. */
function findAttribute(element: i32, name: string): i32 {
  for (let a = get(element, F_FIRST_ATTR); a != 0; a = get(a, F_NEXT)) {
    if (get(a, F_FIRST) != 0 && nameIs(get(a, F_A), name)) return a;
  }
  return 0;
}

/** The single UTF-16 string value of an attribute as a key, or 0 when it is not a plain string. */
function stringValueNode(attribute: i32): i32 {
  const value = get(attribute, F_FIRST);
  if (value == 0 || get(value, F_NEXT) != 0 || get(value, F_KIND) != KIND_VALUE || <u32>get(value, F_TYPE) != T_STRING) {
    return 0;
  }
  return value;
}

function stringChars(value: i32): i32 {
  let chars = get(value, F_B) >> 1;
  const offset = get(value, F_A);
  while (chars > 0 && load<u16>(chunkPtr + <usize>offset + ((<usize>(chars - 1)) << 1)) == 0) chars--;
  return chars;
}

/** The "Name" attribute's string value node of a <Data> element, or 0 for unnamed data. */
function dataNameValue(element: i32): i32 {
  if (!nameIs(get(element, F_A), "Data")) return 0;
  const attribute = findAttribute(element, "Name");
  return attribute == 0 ? 0 : stringValueNode(attribute);
}

/** Writes the child elements of `parent` as object members. Returns whether any member was written. */
function putJsonMembers(parent: i32, comma: bool): bool {
  const base = keyTop;
  let unnamedDataDone = false;
  for (let c = get(parent, F_FIRST); c != 0; c = get(c, F_NEXT)) {
    if (get(c, F_KIND) != KIND_ELEMENT) continue;
    const name = get(c, F_A);
    const dataName = dataNameValue(c);
    if (dataName != 0) {
      putKey(get(dataName, F_A), stringChars(dataName), base, comma);
      putJsonElement(c, true);
    } else if (nameIs(name, "Data")) {
      // Unnamed <Data> siblings are gathered into one "Data": {"#text": …} (an array when repeated).
      if (unnamedDataDone) continue;
      unnamedDataDone = true;
      let count = 0;
      for (let d = c; d != 0; d = get(d, F_NEXT)) {
        if (get(d, F_KIND) == KIND_ELEMENT && nameIs(get(d, F_A), "Data") && dataNameValue(d) == 0) count++;
      }
      putKey(name + 8, nameChars(name), base, comma);
      putLiteral("{\"#text\":");
      if (count > 1) putChar(0x5b);
      let written = 0;
      for (let d = c; d != 0; d = get(d, F_NEXT)) {
        if (get(d, F_KIND) != KIND_ELEMENT || !nameIs(get(d, F_A), "Data") || dataNameValue(d) != 0) continue;
        if (written++ > 0) putChar(0x2c);
        if (get(d, F_FIRST) == 0) putLiteral("\"\"");
        else putJsonText(d);
      }
      if (count > 1) putChar(0x5d);
      putChar(0x7d);
    } else {
      putKey(name + 8, nameChars(name), base, comma);
      putJsonElement(c, false);
    }
    comma = true;
  }
  keyTop = base;
  return comma;
}

function putJsonElement(element: i32, skipNameAttribute: bool): void {
  let attributes = 0;
  for (let a = get(element, F_FIRST_ATTR); a != 0; a = get(a, F_NEXT)) {
    if (get(a, F_FIRST) != 0 && !(skipNameAttribute && nameIs(get(a, F_A), "Name"))) attributes++;
  }
  let elements = 0;
  let texts = 0;
  for (let n = get(element, F_FIRST); n != 0; n = get(n, F_NEXT)) {
    const kind = get(n, F_KIND);
    if (kind == KIND_ELEMENT) elements++;
    else if (isText(kind)) texts++;
  }
  if (attributes == 0 && elements == 0) {
    if (texts == 0) putLiteral("null");
    else putJsonText(element);
    return;
  }
  putChar(0x7b);
  let comma = false;
  if (attributes > 0) {
    putLiteral("\"#attributes\":{");
    const base = keyTop;
    let attributeComma = false;
    for (let a = get(element, F_FIRST_ATTR); a != 0; a = get(a, F_NEXT)) {
      const name = get(a, F_A);
      if (get(a, F_FIRST) == 0 || (skipNameAttribute && nameIs(name, "Name"))) continue;
      putKey(name + 8, nameChars(name), base, attributeComma);
      putJsonText(a);
      attributeComma = true;
    }
    keyTop = base;
    putChar(0x7d);
    comma = true;
  }
  if (elements > 0) comma = putJsonMembers(element, comma);
  if (texts > 0) {
    if (comma) putChar(0x2c);
    putLiteral("\"#text\":");
    putJsonText(element);
  }
  putChar(0x7d);
}

export function renderJson(document: i32): void {
  putChar(0x7b);
  putJsonMembers(document, false);
  putChar(0x7d);
}

function putXmlElement(element: i32, depth: i32): void {
  const name = get(element, F_A);
  putSpaces(depth * 2);
  putChar(0x3c);
  putName(name, ESC_XML_TEXT);
  for (let a = get(element, F_FIRST_ATTR); a != 0; a = get(a, F_NEXT)) {
    if (get(a, F_FIRST) == 0) continue;
    putChar(0x20);
    putName(get(a, F_A), ESC_XML_TEXT);
    putLiteral("=\"");
    putText(a, ESC_XML_ATTRIBUTE);
    putChar(0x22);
  }
  putChar(0x3e);
  let elements = 0;
  let texts = 0;
  for (let n = get(element, F_FIRST); n != 0; n = get(n, F_NEXT)) {
    const kind = get(n, F_KIND);
    if (kind == KIND_ELEMENT || kind == KIND_PI) elements++;
    else if (isText(kind)) texts++;
  }
  if (elements == 0 && texts > 0) {
    putText(element, ESC_XML_TEXT);
  } else {
    putChar(0x0a);
    if (texts > 0) {
      putSpaces(depth * 2 + 2);
      putText(element, ESC_XML_TEXT);
      putChar(0x0a);
    }
    putXmlChildren(element, depth + 1);
    putSpaces(depth * 2);
  }
  putLiteral("</");
  putName(name, ESC_XML_TEXT);
  putLiteral(">\n");
}

function putXmlChildren(parent: i32, depth: i32): void {
  for (let n = get(parent, F_FIRST); n != 0; n = get(n, F_NEXT)) {
    const kind = get(n, F_KIND);
    if (kind == KIND_ELEMENT) putXmlElement(n, depth);
    else if (kind == KIND_PI) {
      putSpaces(depth * 2);
      putLiteral("<?");
      putName(get(n, F_A), ESC_XML_TEXT);
      if (get(n, F_TYPE) > 0) {
        putChar(0x20);
        putUtf16(get(n, F_B), get(n, F_TYPE), ESC_XML_TEXT);
      }
      putLiteral("?>\n");
    }
  }
}

export function renderXml(document: i32): void {
  putLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
  putXmlChildren(document, 0);
}
