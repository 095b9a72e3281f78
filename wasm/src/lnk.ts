// LNK (MS-SHLLINK) public API: parseLnk(bytes) → LnkInfo. The wasm module walks the structures and emits
// entries (see assembly/lnk/entries.ts); this file turns them into typed objects and decodes the text.
import type { ByteSource } from "./byte-source.ts";
import { ParseError } from "./errors.ts";
import { instantiateFormat } from "./load.ts";
import { LNK_FIELDS, LNK_REASONS, LNK_STRUCTURES } from "./lnk-tags.ts";
import {
  ansiAt, fatDateTimeToIso, filetimeFromWords, filetimeToIso, guidAt, hexAt, readAllBytes, utf16At,
} from "./regf-lnk-values.ts";

/** 64-bit property values are decimal strings so every result survives JSON.stringify. */
export type LnkValue = string | number | null;

export interface ExtensionBlock {
  signature: string;
  extensionVersion?: number;
  extCreationTime?: string | null;
  extAccessTime?: string | null;
  /** NTFS file reference of the target, as MFT entry and sequence numbers. */
  mft?: { entry: number; sequence: number };
  longName?: string;
  localizedName?: string;
}

export interface ShellItem {
  type: "root" | "volume" | "file" | "network" | "uri" | "unknown";
  classType: number;
  offset: number;
  size: number;
  sortIndex?: number;
  clsid?: string;
  /** Well-known name of the CLSID (e.g. "My Computer"), when known. */
  clsidName?: string;
  volumeName?: string;
  itemFileSize?: number;
  modificationTime?: string | null;
  itemAttributes?: number;
  primaryName?: string;
  networkLocation?: string;
  networkDescription?: string;
  networkComments?: string;
  uri?: string;
  rawData?: string;
  extensionBlocks: ExtensionBlock[];
}

export interface VolumeInfo {
  driveType: number;
  driveTypeName: string;
  /** Volume serial number as 8 upper-case hex digits, e.g. "E0F7E847". */
  serialNumber: string;
  serialNumberValue: number;
  label: string;
}

export interface NetworkShareInfo {
  flags: number;
  netName: string;
  deviceName: string | null;
  networkProviderType: number | null;
  networkProviderName: string | null;
}

export interface LinkInfo {
  flags: number;
  volume: VolumeInfo | null;
  localBasePath: string | null;
  network: NetworkShareInfo | null;
  commonPathSuffix: string | null;
}

export interface TrackerData {
  version: number;
  machineId: string;
  droidVolume: string;
  droidFile: string;
  birthDroidVolume: string;
  birthDroidFile: string;
  /** MAC address and time from the version-1 GUID of the file droid (null when it is not version 1). */
  macAddress: string | null;
  creationTime: string | null;
}

export interface PropertyValue {
  id?: number;
  name?: string;
  /** Meaning of a well-known (format GUID, id) property key, e.g. "App User Model ID". */
  description?: string;
  type: number;
  value: LnkValue;
}

export interface PropertyStorage {
  formatId: string;
  properties: PropertyValue[];
}

export interface ExtraDataBlock {
  signature: string;
  type: string;
  offset: number;
  size: number;
  fields: Record<string, LnkValue>;
  shellItems?: ShellItem[];
  propertyStorages?: PropertyStorage[];
}

export interface DarwinDescriptor {
  productCode: string;
  featureName: string;
  componentId: string | null;
}

export interface LnkInfo {
  linkFlags: number;
  linkFlagNames: string[];
  fileAttributes: number;
  fileAttributeNames: string[];
  creationTime: string | null;
  accessTime: string | null;
  writeTime: string | null;
  fileSize: number;
  iconIndex: number;
  showCommand: number;
  hotKey: number;
  targetIdList: ShellItem[] | null;
  /** Human-readable path built from the target ID list, e.g. "<My Computer> C:\\Windows\\notepad.exe". */
  shellItemPath: string | null;
  linkInfo: LinkInfo | null;
  /** Local base path followed by the common path suffix. */
  localPath: string | null;
  name: string | null;
  relativePath: string | null;
  workingDirectory: string | null;
  arguments: string | null;
  iconLocation: string | null;
  extraData: ExtraDataBlock[];
  tracker: TrackerData | null;
  knownFolderId: string | null;
  specialFolderId: number | null;
  environmentVariables: string | null;
  darwin: DarwinDescriptor | null;
  /** Damage that did not stop parsing (extension blocks, extra data); only non-empty with `partial`. */
  warnings: ParseError[];
}

interface LnkExports {
  memory: WebAssembly.Memory;
  alloc(length: number): number;
  parse(): number;
  entriesPointer(): number;
  entriesWordCount(): number;
}

const KIND = { begin: 1, end: 2, u32: 3, i32: 4, u64: 5, filetime: 6, fattime: 7, utf16: 8, ansi: 9, guid: 10, bytes: 11, error: 12 };
const ENTRY_WORDS = 6;

/** Where a nested structure lands in its parent: a list (plural key) or a single object. */
const CHILD_SLOTS: Record<string, { key: string; list: boolean }> = {
  idList: { key: "idList", list: false },
  shellItem: { key: "shellItems", list: true },
  extensionBlock: { key: "extensionBlocks", list: true },
  linkInfo: { key: "linkInfo", list: false },
  extraBlock: { key: "extraBlocks", list: true },
  propertyStorage: { key: "propertyStorages", list: true },
  property: { key: "properties", list: true },
};

type Node = Record<string, unknown> & { _offset?: number; _size?: number; _type?: number };

/**
 * A reusable LNK parser: one wasm instance for many files (links are small). After a trap the instance is
 * replaced, so one bad file never affects the next.
 */
export class LnkParser {
  private constructor(private exports: LnkExports) {}

  static async create(): Promise<LnkParser> {
    return new LnkParser(await instantiateLnk());
  }

  /** Size of the instance's linear memory: it never shrinks, so this is the peak so far. */
  get wasmMemoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * Parses one link and throws a ParseError for any damage. With `partial`, damage in extension blocks or
   * extra data is returned in `warnings` with everything parsed around it; damage in the header, ID list,
   * link info or string data still throws, since nothing after it can be located.
   */
  async parse(bytes: Uint8Array, options: LnkOptions = {}): Promise<LnkInfo> {
    let parsed: boolean;
    let words: Int32Array;
    try {
      const exports = this.exports;
      const pointer = exports.alloc(bytes.length) >>> 0;
      new Uint8Array(exports.memory.buffer, pointer, bytes.length).set(bytes);
      parsed = exports.parse() === 1;
      // Views are made after the call because parsing may have grown (and so detached) the memory.
      words = new Int32Array(exports.memory.buffer, exports.entriesPointer() >>> 0, exports.entriesWordCount()).slice();
    } catch (error) {
      this.exports = await instantiateLnk();
      throw new ParseError({ format: "lnk", structure: "wasm module", offset: 0, reason: `trapped: ${String(error)}` });
    }
    const info = buildLnkInfo(bytes, parsed, words);
    if (!options.partial && info.warnings.length > 0) throw info.warnings[0];
    return info;
  }
}

async function instantiateLnk(): Promise<LnkExports> {
  return (await instantiateFormat("lnk")).exports as unknown as LnkExports;
}

/** Files above this size get their own instance, so one huge input does not keep a large memory alive. */
const SHARED_INPUT_LIMIT = 1 << 20;
let sharedParser: Promise<LnkParser> | null = null;

export interface LnkOptions {
  /** Return what could be parsed around damaged extension or extra-data blocks instead of throwing. */
  partial?: boolean;
}

export async function parseLnk(source: ByteSource, options: LnkOptions = {}): Promise<LnkInfo> {
  const bytes = await readAllBytes(source);
  const parser = await (bytes.length <= SHARED_INPUT_LIMIT ? (sharedParser ??= LnkParser.create()) : LnkParser.create());
  return parser.parse(bytes, options);
}

function buildLnkInfo(bytes: Uint8Array, parsed: boolean, words: Int32Array): LnkInfo {
  const warnings: ParseError[] = [];
  const root: Node = {};
  const stack: Node[] = [root];
  for (let at = 0; at + ENTRY_WORDS <= words.length; at += ENTRY_WORDS) {
    const kind = words[at]!;
    const tag = words[at + 1]!;
    const a = words[at + 2]!;
    const b = words[at + 3]!;
    const top = stack[stack.length - 1]!;
    if (kind === KIND.error) {
      warnings.push(
        new ParseError({
          format: "lnk",
          structure: LNK_STRUCTURES[tag] ?? "unknown structure",
          offset: a,
          reason: LNK_REASONS[b] ?? "unknown reason",
          ...(words[at + 4]! >= 0 ? { need: words[at + 4]!, have: words[at + 5]! } : {}),
        }),
      );
      continue;
    }
    const name = LNK_FIELDS[tag] ?? `field${tag}`;
    if (kind === KIND.begin) {
      const child: Node = { _offset: a, _size: b, _type: words[at + 4]! };
      const slot = CHILD_SLOTS[name] ?? { key: name, list: false };
      if (slot.list) ((top[slot.key] ??= []) as Node[]).push(child);
      else top[slot.key] = child;
      stack.push(child);
    } else if (kind === KIND.end) {
      if (stack.length > 1) stack.pop();
    } else {
      top[name] = decodeValue(bytes, kind, a, b);
    }
  }
  if (!parsed) {
    throw warnings.at(-1) ?? new ParseError({ format: "lnk", structure: "shell link header", offset: 0, reason: "unparsable" });
  }
  return shapeLnk(root, warnings);
}

function decodeValue(bytes: Uint8Array, kind: number, a: number, b: number): LnkValue | bigint {
  switch (kind) {
    case KIND.u32:
      return a >>> 0;
    case KIND.i32:
      return a | 0;
    case KIND.u64:
      return filetimeFromWords(a, b);
    case KIND.filetime:
      return filetimeToIso(filetimeFromWords(a, b));
    case KIND.fattime:
      return fatDateTimeToIso(a >>> 0);
    case KIND.utf16:
      return utf16At(bytes, a, b);
    case KIND.ansi:
      return ansiAt(bytes, a, b);
    case KIND.guid:
      return guidAt(bytes, a);
    case KIND.bytes:
      return hexAt(bytes, a, b);
    default:
      return null;
  }
}

const LINK_FLAG_NAMES = [
  "HasLinkTargetIDList", "HasLinkInfo", "HasName", "HasRelativePath", "HasWorkingDir", "HasArguments",
  "HasIconLocation", "IsUnicode", "ForceNoLinkInfo", "HasExpString", "RunInSeparateProcess", "Unused1",
  "HasDarwinID", "RunAsUser", "HasExpIcon", "NoPidlAlias", "Unused2", "RunWithShimLayer", "ForceNoLinkTrack",
  "EnableTargetMetadata", "DisableLinkPathTracking", "DisableKnownFolderTracking", "DisableKnownFolderAlias",
  "AllowLinkToLink", "UnaliasOnSave", "PreferEnvironmentPath", "KeepLocalIDListForUNCTarget",
];
const FILE_ATTRIBUTE_NAMES = [
  "READONLY", "HIDDEN", "SYSTEM", "VOLUME_LABEL", "DIRECTORY", "ARCHIVE", "DEVICE", "NORMAL", "TEMPORARY",
  "SPARSE_FILE", "REPARSE_POINT", "COMPRESSED", "OFFLINE", "NOT_CONTENT_INDEXED", "ENCRYPTED",
];
const DRIVE_TYPES = ["DRIVE_UNKNOWN", "DRIVE_NO_ROOT_DIR", "DRIVE_REMOVABLE", "DRIVE_FIXED", "DRIVE_REMOTE", "DRIVE_CDROM", "DRIVE_RAMDISK"];
const NETWORK_PROVIDERS: Record<number, string> = {
  0x00020000: "WNNC_NET_LANMAN", 0x00260000: "WNNC_NET_CSC", 0x002e0000: "WNNC_NET_DAV", 0x00360000: "WNNC_NET_TERMSRV",
  0x003b0000: "WNNC_NET_DFS", 0x003f0000: "WNNC_NET_VMWARE", 0x00420000: "WNNC_NET_MS_NFS", 0x00430000: "WNNC_NET_GOOGLE",
};
const EXTRA_BLOCK_TYPES: Record<number, string> = {
  0xa0000001: "environmentVariables", 0xa0000002: "console", 0xa0000003: "tracker", 0xa0000004: "consoleFe",
  0xa0000005: "specialFolder", 0xa0000006: "darwin", 0xa0000007: "iconEnvironment", 0xa0000008: "shim",
  0xa0000009: "propertyStore", 0xa000000b: "knownFolder", 0xa000000c: "vistaAndAboveIdList",
};
const CLSID_NAMES: Record<string, string> = {
  "20d04fe0-3aea-1069-a2d8-08002b30309d": "My Computer",
  "208d2c60-3aea-1069-a2d7-08002b30309d": "My Network Places",
  "450d8fba-ad25-11d0-98a8-0800361b1103": "My Documents",
  "59031a47-3f72-44a7-89c5-5595fe6b30ee": "Users Files",
  "871c5380-42a0-1069-a2ea-08002b30309d": "Internet Explorer",
  "645ff040-5081-101b-9f08-00aa002f954e": "Recycle Bin",
  "21ec2020-3aea-1069-a2dd-08002b30309d": "Control Panel",
  "26ee0668-a00a-44d7-9371-beb064c98683": "Control Panel",
  "f02c1a0d-be21-4350-88b0-7367fc96ef3c": "Network",
  "031e4825-7b94-4dc3-b131-e946b44c8dd5": "Libraries",
};

/** A few property keys that shell links commonly carry, by "formatId/id". */
const PROPERTY_KEY_NAMES: Record<string, string> = {
  "86d40b4d-9069-443c-819a-2a54090dccec/2": "Tile Small Image Location",
  "b725f130-47ef-101a-a5f1-02608c9eebac/10": "Item Name Display",
  "9f4c2855-9f79-4b39-a8d0-e1d42de1d5f3/5": "App User Model ID",
  "46588ae2-4cbc-4338-bbfc-139326986dce/4": "SID",
  "28636aa6-953d-11d2-b5d6-00c04fd918d0/30": "Parsing Path",
};

function flagNames(value: number, names: readonly string[]): string[] {
  return names.filter((_, bit) => (value & (1 << bit)) !== 0);
}

const str = (node: Node, key: string): string | null => (typeof node[key] === "string" ? (node[key] as string) : null);
const num = (node: Node, key: string): number | null => (typeof node[key] === "number" ? (node[key] as number) : null);
const hex32 = (value: number) => `0x${(value >>> 0).toString(16).padStart(8, "0")}`;

function shapeLnk(root: Node, warnings: ParseError[]): LnkInfo {
  const linkFlags = num(root, "linkFlags") ?? 0;
  const unicodeOrAnsi = (node: Node, key: string) => str(node, `${key}Unicode`) ?? str(node, key);
  const idList = root.idList as Node | undefined;
  const targetIdList = idList ? shapeShellItems(idList) : null;
  const info = root.linkInfo as Node | undefined;
  let linkInfo: LinkInfo | null = null;
  if (info) {
    const flags = num(info, "linkInfoFlags") ?? 0;
    const driveType = num(info, "driveType");
    const serial = num(info, "driveSerial") ?? 0;
    const providerType = num(info, "networkProviderType");
    linkInfo = {
      flags,
      volume: driveType === null ? null : {
        driveType,
        driveTypeName: DRIVE_TYPES[driveType] ?? `DRIVE_${driveType}`,
        serialNumber: (serial >>> 0).toString(16).toUpperCase().padStart(8, "0"),
        serialNumberValue: serial >>> 0,
        label: str(info, "volumeIdUnicodeLabel") ?? str(info, "volumeLabel") ?? "",
      },
      localBasePath: (flags & 1) !== 0 ? unicodeOrAnsi(info, "localBasePath") : null,
      network: (flags & 2) !== 0 ? {
        flags: num(info, "commonNetworkFlags") ?? 0,
        netName: unicodeOrAnsi(info, "netName") ?? "",
        deviceName: unicodeOrAnsi(info, "deviceName"),
        networkProviderType: providerType,
        networkProviderName: providerType === null ? null : (NETWORK_PROVIDERS[providerType] ?? hex32(providerType)),
      } : null,
      commonPathSuffix: unicodeOrAnsi(info, "commonPathSuffix"),
    };
  }
  const extraData = ((root.extraBlocks ?? []) as Node[]).map(shapeExtraBlock);
  const block = (type: string) => extraData.find((candidate) => candidate.type === type);
  const trackerBlock = block("tracker");
  const darwinText = block("darwin")?.fields;
  const localPath =
    linkInfo?.localBasePath != null ? joinPath(linkInfo.localBasePath, linkInfo.commonPathSuffix ?? "") : null;
  return {
    linkFlags,
    linkFlagNames: flagNames(linkFlags, LINK_FLAG_NAMES),
    fileAttributes: num(root, "fileAttributes") ?? 0,
    fileAttributeNames: flagNames(num(root, "fileAttributes") ?? 0, FILE_ATTRIBUTE_NAMES),
    creationTime: str(root, "creationTime"),
    accessTime: str(root, "accessTime"),
    writeTime: str(root, "writeTime"),
    fileSize: num(root, "fileSize") ?? 0,
    iconIndex: num(root, "iconIndex") ?? 0,
    showCommand: num(root, "showCommand") ?? 0,
    hotKey: num(root, "hotKey") ?? 0,
    targetIdList,
    shellItemPath: targetIdList ? shellItemPath(targetIdList) : null,
    linkInfo,
    localPath,
    name: str(root, "name"),
    relativePath: str(root, "relativePath"),
    workingDirectory: str(root, "workingDirectory"),
    arguments: str(root, "arguments"),
    iconLocation: str(root, "iconLocation"),
    extraData,
    tracker: trackerBlock ? shapeTracker(trackerBlock.fields) : null,
    knownFolderId: (block("knownFolder")?.fields.knownFolderId as string | undefined) ?? null,
    specialFolderId: (block("specialFolder")?.fields.specialFolderId as number | undefined) ?? null,
    environmentVariables: envTarget(block("environmentVariables")?.fields),
    darwin: darwinText ? decodeDarwinDescriptor(envTarget(darwinText) ?? "") : null,
    warnings,
  };
}

function envTarget(fields: Record<string, LnkValue> | undefined): string | null {
  if (!fields) return null;
  const unicode = fields.targetUnicode;
  return typeof unicode === "string" && unicode.length > 0 ? unicode : ((fields.targetAnsi as string | undefined) ?? null);
}

function joinPath(base: string, suffix: string): string {
  if (suffix === "") return base;
  return base.endsWith("\\") ? base + suffix : `${base}\\${suffix}`;
}

function shapeShellItems(list: Node): ShellItem[] {
  return ((list.shellItems ?? []) as Node[]).map((node) => {
    const classType = node._type ?? -1;
    const type: ShellItem["type"] =
      classType === 0x1f ? "root"
      : (classType & 0x70) === 0x20 ? "volume"
      : (classType & 0x70) === 0x30 ? "file"
      : (classType & 0x70) === 0x40 ? "network"
      : classType === 0x61 ? "uri"
      : "unknown";
    const { _offset, _size, _type, extensionBlocks, ...fields } = node;
    const item = { type, classType, offset: _offset ?? 0, size: _size ?? 0, ...fields } as ShellItem;
    if (item.clsid && CLSID_NAMES[item.clsid]) item.clsidName = CLSID_NAMES[item.clsid];
    item.extensionBlocks = ((extensionBlocks ?? []) as Node[]).map(shapeExtensionBlock);
    return item;
  });
}

function shapeExtensionBlock(node: Node): ExtensionBlock {
  const { _offset, _size, _type, fileReference, ...fields } = node;
  const block = { signature: hex32(_type ?? 0), ...fields } as ExtensionBlock;
  if (typeof fileReference === "bigint") {
    block.mft = { entry: Number(fileReference & 0xffff_ffff_ffffn), sequence: Number(fileReference >> 48n) };
  }
  return block;
}

function shellItemPath(items: ShellItem[]): string {
  let path = "";
  let previous: ShellItem | null = null;
  for (const item of items) {
    const fileName = item.extensionBlocks.find((block) => block.longName)?.longName ?? item.primaryName;
    const segment =
      item.type === "root" ? `<${item.clsidName ?? item.clsid ?? "unknown"}>`
      : item.type === "volume" ? (item.volumeName ?? `<${item.clsid ?? "volume"}>`)
      : item.type === "file" ? (fileName ?? "")
      : item.type === "network" ? (item.networkLocation ?? "")
      : item.type === "uri" ? (item.uri ?? "")
      : `<shell item 0x${item.classType.toString(16)}>`;
    // A UNC location (\\server\share) is absolute: it replaces the network neighbourhood items before it.
    if (item.type === "network" && segment.startsWith("\\\\")) path = segment;
    else path += (previous === null ? "" : previous.type === "root" ? " " : path.endsWith("\\") ? "" : "\\") + segment;
    previous = item;
  }
  return path;
}

function shapeExtraBlock(node: Node): ExtraDataBlock {
  const { _offset, _size, _type, idList, propertyStorages, ...fields } = node;
  const signature = (_type ?? 0) >>> 0;
  const block: ExtraDataBlock = {
    signature: hex32(signature),
    type: EXTRA_BLOCK_TYPES[signature] ?? "unknown",
    offset: _offset ?? 0,
    size: _size ?? 0,
    fields: fields as Record<string, LnkValue>,
  };
  if (idList) block.shellItems = shapeShellItems(idList as Node);
  if (propertyStorages) {
    block.propertyStorages = (propertyStorages as Node[]).map((storage) => ({
      formatId: storage.formatId as string,
      properties: ((storage.properties ?? []) as Node[]).map((property) => ({
        ...(typeof property.propertyId === "number" ? { id: property.propertyId } : {}),
        ...(PROPERTY_KEY_NAMES[`${String(storage.formatId)}/${String(property.propertyId)}`]
          ? { description: PROPERTY_KEY_NAMES[`${String(storage.formatId)}/${String(property.propertyId)}`] }
          : {}),
        ...(typeof property.propertyName === "string" ? { name: property.propertyName } : {}),
        type: (property.propertyType as number | undefined) ?? 0,
        value: typeof property.propertyValue === "bigint" ? property.propertyValue.toString() : ((property.propertyValue as LnkValue | undefined) ?? null),
      })),
    }));
  }
  return block;
}

/** 100 ns intervals between the UUID epoch (1582-10-15) and the FILETIME epoch (1601-01-01). */
const UUID_TO_FILETIME = 5_748_192_000_000_000n;

function shapeTracker(fields: Record<string, LnkValue>): TrackerData {
  const droidFile = (fields.droidFile as string | undefined) ?? "";
  const groups = droidFile.split("-");
  const isVersion1 = groups.length === 5 && groups[2]!.startsWith("1");
  let creationTime: string | null = null;
  let macAddress: string | null = null;
  if (isVersion1) {
    const timestamp = (BigInt(`0x${groups[2]!.slice(1)}`) << 48n) | (BigInt(`0x${groups[1]}`) << 32n) | BigInt(`0x${groups[0]}`);
    creationTime = filetimeToIso(timestamp - UUID_TO_FILETIME);
    macAddress = groups[4]!.match(/../g)!.join(":");
  }
  return {
    version: (fields.trackerVersion as number | undefined) ?? 0,
    machineId: (fields.machineId as string | undefined) ?? "",
    droidVolume: (fields.droidVolume as string | undefined) ?? "",
    droidFile,
    birthDroidVolume: (fields.birthDroidVolume as string | undefined) ?? "",
    birthDroidFile: (fields.birthDroidFile as string | undefined) ?? "",
    macAddress,
    creationTime,
  };
}

/** Alphabet of the base-85 "compressed GUID" used in MSI (Darwin) descriptors. */
const DARWIN_ALPHABET = "!$%&'()*+,-.0123456789=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{}~";

function decodeCompressedGuid(text: string): string | null {
  if (text.length !== 20) return null;
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let group = 0; group < 4; group++) {
    let value = 0;
    for (let i = 4; i >= 0; i--) {
      const digit = DARWIN_ALPHABET.indexOf(text[group * 5 + i]!);
      if (digit < 0) return null;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return null;
    view.setUint32(group * 4, value, true);
  }
  return `{${guidAt(bytes, 0).toUpperCase()}}`;
}

/** Darwin descriptor: product code (20 chars), feature name, then '>' or '<' and the component code. */
function decodeDarwinDescriptor(text: string): DarwinDescriptor | null {
  const productCode = decodeCompressedGuid(text.slice(0, 20));
  if (!productCode) return null;
  const rest = text.slice(20);
  const separator = Math.max(rest.lastIndexOf(">"), rest.lastIndexOf("<"));
  if (separator < 0) return { productCode, featureName: rest, componentId: null };
  return { productCode, featureName: rest.slice(0, separator), componentId: decodeCompressedGuid(rest.slice(separator + 1, separator + 21)) };
}
