// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as used by EVTX, Prefetch and others.
// Slicing-by-4 tables: the chunk-data checksum covers ~64 KiB per chunk and sits on the hot path.

const CRC_TABLE: usize = heap.alloc(4 * 256 * 4);
let crcTableReady = false;

function buildCrcTable(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(CRC_TABLE + (i << 2), c);
  }
  for (let i: u32 = 0; i < 256; i++) {
    let c = load<u32>(CRC_TABLE + (i << 2));
    for (let t: u32 = 1; t < 4; t++) {
      c = load<u32>(CRC_TABLE + ((c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(CRC_TABLE + ((t * 256 + i) << 2), c);
    }
  }
  crcTableReady = true;
}

/** Continues a CRC-32 over `length` bytes at `ptr`; start with `crc = 0`. */
export function crc32Update(crc: u32, ptr: usize, length: usize): u32 {
  if (!crcTableReady) buildCrcTable();
  let c = ~crc;
  const end = ptr + length;
  const t = CRC_TABLE;
  while (ptr + 4 <= end) {
    c ^= load<u32>(ptr);
    c =
      load<u32>(t + ((3 * 256 + (c & 0xff)) << 2)) ^
      load<u32>(t + ((2 * 256 + ((c >>> 8) & 0xff)) << 2)) ^
      load<u32>(t + ((256 + ((c >>> 16) & 0xff)) << 2)) ^
      load<u32>(t + ((c >>> 24) << 2));
    ptr += 4;
  }
  while (ptr < end) {
    c = load<u32>(t + (((c ^ load<u8>(ptr)) & 0xff) << 2)) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}
