// The SCCA structures of a Prefetch file (format versions 17, 23, 26, 30 and 31): file header,
// file information, file metrics, trace chains, filename strings and volume information.
//
// Results go into `table`, a flat list of u32 words read by wasm/src/prefetch.ts. Strings and 64-bit
// values are not copied: the table holds their byte offsets in the SCCA data, already bounds-checked,
// and the wrapper decodes them there. Layout (offsets are into the SCCA data):
//   header   version, fileSize, hash, runCount, exeNameOffset, exeNameChars,
//            lastRunTimesOffset, lastRunTimesCount, metricsCount, traceChainCount, filenameCount, volumeCount
//   metrics  metricsCount × (filenameOffset, filenameChars, fileReferenceOffset or NONE, flags)
//   names    filenameCount × (offset, chars)
//   volumes  volumeCount × (devicePathOffset, devicePathChars, creationTimeOffset, serialNumber,
//            fileReferencesOffset, fileReferenceCount, directoryCount)
//   dirs     for each volume in order, directoryCount × (offset, chars)
import { fail } from "./failure";
import { ByteRange } from "./reader";

export const NONE: u32 = 0xffffffff;
export const table = new Array<u32>();

const FILENAME_COUNT_SLOT = 10;
const SIGNATURE: u32 = 0x41434353; // "SCCA"
const FILE_HEADER_SIZE: i64 = 84;
const EXECUTABLE_NAME_OFFSET: i64 = 16;
const EXECUTABLE_NAME_MAX_CHARS: i64 = 30;
/** Version 30 files whose metrics start here use the shorter "variant 2" file information. */
const VARIANT_2_METRICS_OFFSET: u32 = 0x128;

class Layout {
  lastRunTimesOffset: i64 = 0;
  lastRunTimesCount: u32 = 1;
  runCountOffset: i64 = 0;
  metricsEntrySize: i64 = 32;
  traceChainEntrySize: i64 = 12;
  volumeEntrySize: i64 = 104;
  /** The file reference list starts with an 8-byte header in version 17 and a 16-byte one later. */
  fileReferencesHeaderSize: i64 = 16;
}

function layoutFor(version: u32, metricsOffset: u32): Layout | null {
  const layout = new Layout();
  if (version == 17) {
    layout.lastRunTimesOffset = 120;
    layout.runCountOffset = 144;
    layout.metricsEntrySize = 20;
    layout.volumeEntrySize = 40;
    layout.fileReferencesHeaderSize = 8;
  } else if (version == 23) {
    layout.lastRunTimesOffset = 128;
    layout.runCountOffset = 152;
  } else if (version == 26 || version == 30 || version == 31) {
    layout.lastRunTimesOffset = 128;
    layout.lastRunTimesCount = 8;
    layout.runCountOffset = version >= 30 && metricsOffset == VARIANT_2_METRICS_OFFSET ? 200 : 208;
    if (version >= 30) {
      layout.traceChainEntrySize = 8;
      layout.volumeEntrySize = 96;
    }
  } else {
    return null;
  }
  return layout;
}

/** Counts UTF-16 code units up to the first NUL, at most `maxChars`. */
function charsUntilNul(data: ByteRange, offset: i64, maxChars: i64): u32 {
  let chars: i64 = 0;
  while (chars < maxChars && data.u16(offset + chars * 2) != 0) chars++;
  return <u32>chars;
}

/** Bounds of one section, checked against the data once so entries need only check the section. */
class Section {
  constructor(
    public start: i64,
    public end: i64,
  ) {}
}

function section(data: ByteRange, structure: string, start: u32, size: i64): Section | null {
  if (!data.has(structure, <i64>start, size)) return null;
  return new Section(<i64>start, <i64>start + size);
}

function inSection(s: Section, structure: string, offset: i64, size: i64): bool {
  if (offset >= s.start && size >= 0 && offset <= s.end && size <= s.end - offset) return true;
  fail(structure, offset, `extends past its section (${size} bytes, section ends at ${s.end})`);
  return false;
}

export function parseScca(data: ByteRange): bool {
  table.length = 0;
  if (!data.has("file header", 0, 8)) return false;
  if (data.u32(4) != SIGNATURE) return fail("file header", 4, "bad signature: expected SCCA");
  if (!data.has("file header", 0, FILE_HEADER_SIZE)) return false;
  const version = data.u32(0);
  if (!data.has("file information", FILE_HEADER_SIZE, 36)) return false;
  const metricsOffset = data.u32(84);
  const layout = layoutFor(version, metricsOffset);
  if (layout == null) return fail("file header", 0, `unsupported format version ${version}`);
  if (!data.has("file information", FILE_HEADER_SIZE, layout.runCountOffset + 4 - FILE_HEADER_SIZE)) return false;

  const metricsCount = data.u32(88);
  const traceChainOffset = data.u32(92);
  const traceChainCount = data.u32(96);
  const filenamesOffset = data.u32(100);
  const filenamesSize = data.u32(104);
  const volumesOffset = data.u32(108);
  const volumeCount = data.u32(112);
  const volumesSize = data.u32(116);

  const metrics = section(data, "file metrics array", metricsOffset, <i64>metricsCount * layout.metricsEntrySize);
  if (metrics == null) return false;
  if (section(data, "trace chains array", traceChainOffset, <i64>traceChainCount * layout.traceChainEntrySize) == null) {
    return false;
  }
  const names = section(data, "filename strings", filenamesOffset, <i64>filenamesSize);
  if (names == null) return false;
  const volumes = section(data, "volume information", volumesOffset, <i64>volumesSize);
  if (volumes == null) return false;
  if (!inSection(volumes, "volume information entries", volumes.start, <i64>volumeCount * layout.volumeEntrySize)) {
    return false;
  }

  table.push(version);
  table.push(data.u32(12));
  table.push(data.u32(76));
  table.push(data.u32(<i32>layout.runCountOffset));
  table.push(<u32>EXECUTABLE_NAME_OFFSET);
  table.push(charsUntilNul(data, EXECUTABLE_NAME_OFFSET, EXECUTABLE_NAME_MAX_CHARS));
  table.push(<u32>layout.lastRunTimesOffset);
  table.push(layout.lastRunTimesCount);
  table.push(metricsCount);
  table.push(traceChainCount);
  table.push(0); // filename count, known once the strings are walked
  table.push(volumeCount);

  if (!pushMetrics(data, layout, metrics, names, metricsCount)) return false;
  table[FILENAME_COUNT_SLOT] = pushFilenames(data, names);
  return pushVolumes(data, layout, volumes, volumeCount);
}

function pushMetrics(data: ByteRange, layout: Layout, metrics: Section, names: Section, count: u32): bool {
  const isVersion17 = layout.metricsEntrySize == 20;
  for (let i: u32 = 0; i < count; i++) {
    const entry = metrics.start + <i64>i * layout.metricsEntrySize;
    const nameOffset = names.start + <i64>data.u32(entry + (isVersion17 ? 8 : 12));
    const nameChars = data.u32(entry + (isVersion17 ? 12 : 16));
    if (!inSection(names, "file metrics filename", nameOffset, <i64>nameChars * 2)) return false;
    table.push(<u32>nameOffset);
    table.push(nameChars);
    table.push(isVersion17 ? NONE : <u32>(entry + 24));
    table.push(data.u32(entry + (isVersion17 ? 16 : 20)));
  }
  return true;
}

/**
 * The filename strings section is a run of NUL-terminated UTF-16 strings. A name cut off by the end
 * of the section still counts; NUL padding after the last name does not.
 */
function pushFilenames(data: ByteRange, names: Section): u32 {
  let count: u32 = 0;
  let at = names.start;
  const end = names.start + ((names.end - names.start) & ~1);
  while (at < end) {
    if (data.u16(at) == 0) break;
    const start = at;
    while (at < end && data.u16(at) != 0) at += 2;
    table.push(<u32>start);
    table.push(<u32>((at - start) >> 1));
    at += 2;
    count++;
  }
  return count;
}

function pushVolumes(data: ByteRange, layout: Layout, volumes: Section, count: u32): bool {
  const directoryCounts = new Array<u32>();
  for (let i: u32 = 0; i < count; i++) {
    const entry = volumes.start + <i64>i * layout.volumeEntrySize;
    const pathOffset = volumes.start + <i64>data.u32(entry);
    const pathChars = data.u32(entry + 4);
    if (!inSection(volumes, "volume device path", pathOffset, <i64>pathChars * 2)) return false;
    table.push(<u32>pathOffset);
    table.push(pathChars);
    table.push(<u32>(entry + 8));
    table.push(data.u32(entry + 16));

    const referencesOffset = volumes.start + <i64>data.u32(entry + 20);
    const referencesSize = <i64>data.u32(entry + 24);
    if (referencesSize == 0) {
      table.push(NONE);
      table.push(0);
    } else {
      if (!inSection(volumes, "file references", referencesOffset, max(referencesSize, layout.fileReferencesHeaderSize))) {
        return false;
      }
      const referenceCount = data.u32(referencesOffset + 4);
      const first = referencesOffset + layout.fileReferencesHeaderSize;
      if (!inSection(volumes, "file references", first, <i64>referenceCount * 8)) return false;
      table.push(<u32>first);
      table.push(referenceCount);
    }
    const directoryCount = data.u32(entry + 32);
    table.push(directoryCount);
    directoryCounts.push(directoryCount);
  }
  for (let i: u32 = 0; i < count; i++) {
    const entry = volumes.start + <i64>i * layout.volumeEntrySize;
    let at = volumes.start + <i64>data.u32(entry + 28);
    const directoryCount = directoryCounts[i];
    // Each string costs at least 4 bytes, so a huge count stops at the end of the section.
    for (let d: u32 = 0; d < directoryCount; d++) {
      if (!inSection(volumes, "directory strings", at, 2)) return false;
      const chars = data.u16(at);
      if (!inSection(volumes, "directory strings", at + 2, (<i64>chars + 1) * 2)) return false;
      table.push(<u32>(at + 2));
      table.push(chars);
      at += 2 + (<i64>chars + 1) * 2;
    }
  }
  return true;
}
