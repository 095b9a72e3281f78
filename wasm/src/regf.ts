// Registry hive (REGF) public API. The hive is copied once into the wasm instance (cells point anywhere in
// the file, so it is needed whole); keys come out as a stream, a batch of keys per wasm call, so a large
// hive is never materialised as objects. Damage is reported in the stream as error records and the walk
// goes on with the next key.
import { type ByteSource, fixedBlocks } from "./byte-source.ts";
import { ParseError } from "./errors.ts";
import { instantiateFormat } from "./load.ts";
import {
  filetimeFromWords, filetimeToIso, hexAt, latin1At, readAllBytes, utf16At,
} from "./regf-lnk-values.ts";

export interface RegistryHiveHeader {
  primarySequenceNumber: number;
  secondarySequenceNumber: number;
  /** Sequence numbers differ when the hive was not cleanly written (transaction logs would be needed). */
  dirty: boolean;
  lastWritten: string | null;
  majorVersion: number;
  minorVersion: number;
  fileType: number;
  fileFormat: number;
  rootCellOffset: number;
  hiveBinsDataSize: number;
  clusteringFactor: number;
  fileName: string;
  checksum: number;
  checksumValid: boolean;
  hiveBinCount: number;
}

export type RegistryValueData = string | number | string[] | null;

export interface RegistryValue {
  /** "" for the key's default value. */
  name: string;
  type: number;
  typeName: string;
  /** Declared data size in bytes. */
  size: number;
  /** Strings for REG_SZ/EXPAND_SZ/LINK, string[] for MULTI_SZ, numbers for DWORDs, a decimal string for
   *  QWORD, lower-case hex for binary and resource types; null when the data could not be read. */
  data: RegistryValueData;
}

export interface RegistryKey {
  kind: "key";
  /** Path below the hive root, "\\"-separated, "" for the root key itself. */
  path: string;
  name: string;
  /** File offset of the nk cell. */
  offset: number;
  lastWritten: string | null;
  flags: number;
  subkeyCount: number;
  className: string | null;
  ownerSid: string | null;
  values: RegistryValue[];
}

export interface RegistryError {
  kind: "error";
  /** Path of the key being read when the damage was found, when known. */
  path: string | null;
  error: ParseError;
}

export type RegistryRecord = RegistryKey | RegistryError;

interface RegfExports {
  memory: WebAssembly.Memory;
  alloc(length: number): number;
  nameBuffer(byteLength: number): number;
  open(): number;
  truncate(length: number): void;
  rootKey(): number;
  walk(keyFileOffset: number): void;
  next(budget: number): number;
  findChild(parentFileOffset: number, nameUnits: number): number;
  readKey(keyFileOffset: number): void;
  recordsPointer(): number;
  recordsWordCount(): number;
}

const RECORD = { key: 1, value: 2, error: 3, header: 4 };
const DATA = { none: 0, inHive: 1, inMemory: 2 };
const KEYS_PER_CALL = 256;

/** Index = structure number in assembly/regf/records.ts. */
export const REGF_STRUCTURES = [
  "base block", "hive bin", "nk cell", "subkey list", "value list", "vk cell", "value data", "db cell",
  "sk cell", "class name",
] as const;
/** Index = reason number in assembly/regf/records.ts. */
export const REGF_REASONS = [
  "truncated", "bad signature", "bad size", "offset out of range", "cycle in key tree", "key tree too deep",
  "checksum mismatch",
] as const;
const VALUE_TYPES = [
  "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_LINK",
  "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTOR", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
];

export class RegistryHive {
  private walking = false;

  private constructor(
    private readonly exports: RegfExports,
    private readonly hiveAddress: number,
    readonly header: RegistryHiveHeader,
    /** Problems found in the base block or hive bins that did not stop parsing. */
    readonly warnings: ParseError[],
  ) {}

  /** Size of the instance's linear memory (the hive plus working memory); it never shrinks. */
  get wasmMemoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  static async open(source: ByteSource): Promise<RegistryHive> {
    const exports = (await instantiateFormat("regf")).exports as unknown as RegfExports;
    const hiveAddress = await loadHive(exports, source);
    const usable = guard(() => exports.open()) === 1;
    const records = readRecords(exports);
    const warnings: ParseError[] = [];
    let header: RegistryHiveHeader | null = null;
    forEachRecord(records, (kind, at) => {
      if (kind === RECORD.error) warnings.push(errorFromRecord(records, at));
      if (kind === RECORD.header) header = headerFromRecord(records, at, new Uint8Array(exports.memory.buffer), hiveAddress);
    });
    if (!usable || !header) {
      throw warnings.at(-1) ?? new ParseError({ format: "regf", structure: "base block", offset: 0, reason: "unusable" });
    }
    return new RegistryHive(exports, hiveAddress, header, warnings);
  }

  /**
   * Every key below `path` ("" = the whole hive; nothing when it does not exist) depth-first, each with
   * its values, plus error records. One walk at a time per hive; getKey() may be called during a walk.
   */
  async *walk(path = ""): AsyncGenerator<RegistryRecord> {
    if (this.walking) throw new Error("RegistryHive.walk: a walk of this hive is already in progress");
    this.walking = true;
    try {
      for (const warning of this.warnings) yield { kind: "error", path: null, error: warning };
      const start = path === "" ? this.exports.rootKey() : this.find(path);
      if (start < 0) return;
      const baseSegments = splitPath(path);
      const names: string[] = [];
      const offsets: number[] = [];
      guard(() => this.exports.walk(start));
      let more = true;
      while (more) {
        yield* this.batch(baseSegments, names, offsets);
        more = guard(() => this.exports.next(KEYS_PER_CALL)) > 0;
      }
    } finally {
      this.walking = false;
    }
  }

  /** Turns the records of the last wasm call into keys (values attached) followed by their errors. */
  private batch(baseSegments: string[], names: string[], offsets: number[]): RegistryRecord[] {
    const records = readRecords(this.exports);
    const memory = new Uint8Array(this.exports.memory.buffer);
    const out: RegistryRecord[] = [];
    let key: RegistryKey | null = null;
    let errors: RegistryError[] = [];
    const flush = () => {
      if (key) out.push(key);
      out.push(...errors);
      key = null;
      errors = [];
    };
    forEachRecord(records, (kind, at) => {
      if (kind === RECORD.key) {
        flush();
        const depth = records[at + 3]!;
        const next = this.keyFromRecord(records, at, memory);
        names.length = depth;
        offsets.length = depth;
        names.push(next.name);
        offsets.push(next.offset);
        // names[0] is the key the walk started at, which `baseSegments` already names.
        next.path = [...baseSegments, ...names.slice(1)].join("\\");
        key = next;
      } else if (kind === RECORD.value && key) {
        (key as RegistryKey).values.push(this.valueFromRecord(records, at, memory));
      } else if (kind === RECORD.error) {
        const index = offsets.lastIndexOf(records[at + 7]!);
        const path = index < 0 ? null : [...baseSegments, ...names.slice(1, index + 1)].join("\\");
        errors.push({ kind: "error", path, error: errorFromRecord(records, at) });
      }
    });
    flush();
    return out;
  }

  /** The key at `path` below the root (case-insensitive, "\\"-separated), or null when it does not exist. */
  async getKey(path: string): Promise<RegistryKey | null> {
    const offset = path === "" ? this.exports.rootKey() : this.find(path);
    if (offset < 0) return null;
    guard(() => this.exports.readKey(offset));
    const records = readRecords(this.exports);
    const memory = new Uint8Array(this.exports.memory.buffer);
    let key: RegistryKey | null = null;
    forEachRecord(records, (kind, at) => {
      if (kind === RECORD.key && !key) key = { ...this.keyFromRecord(records, at, memory), path: splitPath(path).join("\\") };
      else if (kind === RECORD.value && key) (key as RegistryKey).values.push(this.valueFromRecord(records, at, memory));
    });
    return key;
  }

  private find(path: string): number {
    let offset = this.exports.rootKey();
    for (const segment of splitPath(path)) {
      const units = segment.length;
      const address = guard(() => this.exports.nameBuffer(units * 2)) >>> 0;
      const view = new DataView(this.exports.memory.buffer, address, units * 2);
      for (let i = 0; i < units; i++) view.setUint16(i * 2, segment.charCodeAt(i), true);
      offset = guard(() => this.exports.findChild(offset, units));
      if (offset < 0) return -1;
    }
    return offset;
  }

  private text(memory: Uint8Array, offset: number, length: number, compressed: boolean): string {
    const address = this.hiveAddress + offset;
    return compressed ? latin1At(memory, address, length) : utf16At(memory, address, length & ~1);
  }

  private keyFromRecord(records: Int32Array, at: number, memory: Uint8Array): RegistryKey {
    const classPointer = records[at + 12]!;
    const securityPointer = records[at + 14]!;
    return {
      kind: "key",
      path: "",
      name: this.text(memory, records[at + 4]!, records[at + 5]!, records[at + 6] === 1),
      offset: records[at + 2]!,
      lastWritten: filetimeToIso(filetimeFromWords(records[at + 7]!, records[at + 8]!)),
      flags: records[at + 9]!,
      subkeyCount: records[at + 10]! >>> 0,
      className: classPointer < 0 ? null : this.text(memory, classPointer, records[at + 13]!, false),
      ownerSid: securityPointer < 0 ? null : ownerSid(memory, this.hiveAddress + securityPointer, records[at + 15]!),
      values: [],
    };
  }

  private valueFromRecord(records: Int32Array, at: number, memory: Uint8Array): RegistryValue {
    const type = records[at + 6]! >>> 0;
    const where = records[at + 8]!;
    const pointer = records[at + 9]! >>> 0;
    const length = records[at + 10]!;
    const address = where === DATA.inHive ? this.hiveAddress + pointer : pointer;
    return {
      name: this.text(memory, records[at + 3]!, records[at + 4]!, records[at + 5] === 1),
      type,
      typeName: VALUE_TYPES[type] ?? `0x${type.toString(16)}`,
      size: records[at + 7]!,
      data: where === DATA.none ? (records[at + 7] === 0 ? decodeValue(memory, 0, 0, type) : null) : decodeValue(memory, address, length, type),
    };
  }
}

/** Streams every key (with its values) of a hive, and error records for damaged structures. */
export async function* walkRegistry(source: ByteSource, path = ""): AsyncGenerator<RegistryRecord> {
  const hive = await RegistryHive.open(source);
  yield* hive.walk(path);
}

/** Reads one key (path below the hive root) and its values; null when absent. */
export async function getKey(source: ByteSource, path: string): Promise<RegistryKey | null> {
  return (await RegistryHive.open(source)).getKey(path);
}

/**
 * Copies the hive into the instance. A random-access reader (Blob, file handle) announces its size, so
 * its blocks go straight into wasm memory and the file is held once; bytes are copied as they are; a
 * stream of unknown length is gathered first.
 */
async function loadHive(exports: RegfExports, source: ByteSource): Promise<number> {
  if (source instanceof Uint8Array || !("size" in source && "read" in source)) {
    const bytes = await readAllBytes(source);
    return guard(() => {
      const address = exports.alloc(bytes.length) >>> 0;
      new Uint8Array(exports.memory.buffer, address, bytes.length).set(bytes);
      return address;
    });
  }
  const address = guard(() => exports.alloc(source.size)) >>> 0;
  let filled = 0;
  for await (const block of fixedBlocks(source, READ_BLOCK, READ_BLOCK)) {
    const length = Math.min(block.length, source.size - filled);
    // No wasm call runs between alloc and here, so the memory (and this view) cannot have moved.
    new Uint8Array(exports.memory.buffer, address + filled, length).set(block.subarray(0, length));
    filled += length;
  }
  if (filled < source.size) exports.truncate(filled);
  return address;
}

const READ_BLOCK = 4 * 1024 * 1024;

function splitPath(path: string): string[] {
  return path.split("\\").filter((segment) => segment !== "");
}

function guard<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new ParseError({ format: "regf", structure: "wasm module", offset: 0, reason: `trapped: ${String(error)}` });
  }
}

function readRecords(exports: RegfExports): Int32Array {
  return new Int32Array(exports.memory.buffer, exports.recordsPointer() >>> 0, exports.recordsWordCount()).slice();
}

function forEachRecord(records: Int32Array, visit: (kind: number, at: number) => void): void {
  for (let at = 0; at + 1 < records.length; ) {
    const length = records[at + 1]!;
    if (length < 2) return;
    visit(records[at]!, at);
    at += length;
  }
}

function errorFromRecord(records: Int32Array, at: number): ParseError {
  const need = records[at + 5]!;
  return new ParseError({
    format: "regf",
    structure: REGF_STRUCTURES[records[at + 2]!] ?? "unknown structure",
    offset: records[at + 3]! >>> 0,
    reason: REGF_REASONS[records[at + 4]!] ?? "unknown reason",
    ...(need >= 0 ? { need, have: Math.max(0, records[at + 6]!) } : {}),
  });
}

function headerFromRecord(records: Int32Array, at: number, memory: Uint8Array, hiveAddress: number): RegistryHiveHeader {
  const word = (index: number) => records[at + 2 + index]! >>> 0;
  const fileName = utf16At(memory, hiveAddress + word(11), 64);
  return {
    primarySequenceNumber: word(0),
    secondarySequenceNumber: word(1),
    dirty: word(0) !== word(1),
    lastWritten: filetimeToIso(filetimeFromWords(word(2), word(3))),
    majorVersion: word(4),
    minorVersion: word(5),
    fileType: word(6),
    fileFormat: word(7),
    rootCellOffset: word(8),
    hiveBinsDataSize: word(9),
    clusteringFactor: word(10),
    fileName: fileName.split("\0")[0]!,
    checksum: word(12),
    checksumValid: word(12) === word(13),
    hiveBinCount: word(14),
  };
}

function decodeValue(memory: Uint8Array, address: number, length: number, type: number): RegistryValueData {
  const view = new DataView(memory.buffer, memory.byteOffset + address, length);
  switch (type) {
    case 1: case 2: case 6: { // REG_SZ, REG_EXPAND_SZ, REG_LINK
      const text = utf16At(memory, address, length & ~1);
      const end = text.indexOf("\0");
      return end < 0 ? text : text.slice(0, end);
    }
    case 7: { // REG_MULTI_SZ
      const parts = utf16At(memory, address, length & ~1).split("\0");
      while (parts.length > 0 && parts.at(-1) === "") parts.pop();
      return parts;
    }
    case 4:
      return length === 4 ? view.getUint32(0, true) : hexAt(memory, address, length);
    case 5:
      return length === 4 ? view.getUint32(0, false) : hexAt(memory, address, length);
    case 11:
      return length === 8 ? view.getBigUint64(0, true).toString() : hexAt(memory, address, length);
    default:
      return hexAt(memory, address, length);
  }
}

/** Owner SID (S-1-...) of a self-relative security descriptor, or null when it does not fit. */
function ownerSid(memory: Uint8Array, descriptor: number, length: number): string | null {
  if (length < 20) return null;
  const view = new DataView(memory.buffer, memory.byteOffset + descriptor, length);
  const owner = view.getUint32(4, true);
  if (owner === 0 || owner + 8 > length) return null;
  const subAuthorities = view.getUint8(owner + 1);
  if (owner + 8 + subAuthorities * 4 > length) return null;
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + view.getUint8(owner + 2 + i);
  const parts = [`S-${view.getUint8(owner)}`, String(authority)];
  for (let i = 0; i < subAuthorities; i++) parts.push(String(view.getUint32(owner + 8 + i * 4, true)));
  return parts.join("-");
}
