// The only entry other packages import: every format's public API.
export { ParseError, type ParseErrorDetails, type ParsedFormat } from "./errors.ts";
export { compileGramScanner } from "./load.ts";
export { type ByteSource, type RandomAccessReader, blobReader } from "./byte-source.ts";
export {
  type EvtxEvent, type EvtxFailure, type EvtxFormat, type EvtxItem, type EvtxOptions, type EvtxRecord, type EvtxStream,
  type EvtxSummary, parseEvtx, separateAttributes,
} from "./evtx.ts";
export {
  type DarwinDescriptor, type ExtensionBlock, type ExtraDataBlock, type LinkInfo, type LnkInfo, type LnkOptions, type LnkValue,
  type NetworkShareInfo, type PropertyStorage, type PropertyValue, type ShellItem, type TrackerData, type VolumeInfo,
  LnkParser, parseLnk,
} from "./lnk.ts";
export {
  type RegistryError, type RegistryHiveHeader, type RegistryKey, type RegistryRecord, type RegistryValue,
  type RegistryValueData, getKey, RegistryHive, walkRegistry,
} from "./regf.ts";
export { type FileReference, type PrefetchFileMetric, type PrefetchInfo, type PrefetchVolume, PrefetchParser, parsePrefetch } from "./prefetch.ts";
