// Bounds-checked little-endian reads over one byte range in linear memory. Every read first asks
// `has`, which records a short read naming the structure being parsed.
import { failShort } from "./failure";

export class ByteRange {
  constructor(
    public base: usize,
    public length: i64,
  ) {}

  /** True when `size` bytes starting at `offset` lie inside the range; otherwise records the failure. */
  has(structure: string, offset: i64, size: i64): bool {
    if (offset >= 0 && size >= 0 && offset <= this.length && size <= this.length - offset) return true;
    return failShort(structure, offset, size, this.length - offset);
  }

  u16(offset: i64): u32 {
    return <u32>load<u16>(this.base + <usize>offset);
  }

  u32(offset: i64): u32 {
    return load<u32>(this.base + <usize>offset);
  }

  u64(offset: i64): u64 {
    return load<u64>(this.base + <usize>offset);
  }
}
