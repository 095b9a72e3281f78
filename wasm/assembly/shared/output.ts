// A growable UTF-16 output buffer. Parsers render text straight into wasm memory and the host decodes
// one block per call (TextDecoder "utf-16le"), instead of crossing the JS boundary per token.

export let outPtr: usize = heap.alloc(1 << 18);
let outCapacity: i32 = 1 << 17; // in UTF-16 code units
export let outLength: i32 = 0;

export function resetOutput(): void {
  outLength = 0;
}

/** Makes room for `units` more code units. */
export function reserve(units: i32): void {
  const needed = outLength + units;
  if (needed <= outCapacity) return;
  let capacity = outCapacity;
  while (capacity < needed) capacity <<= 1;
  outPtr = heap.realloc(outPtr, (<usize>capacity) << 1);
  outCapacity = capacity;
}

/** Writes one code unit; the caller has reserved room. */
// @ts-ignore: decorator
@inline export function putUnit(unit: u32): void {
  store<u16>(outPtr + ((<usize>outLength) << 1), <u16>unit);
  outLength++;
}

export function putChar(unit: u32): void {
  reserve(1);
  putUnit(unit);
}

/** Writes a compile-time string constant (AssemblyScript strings are UTF-16 already). */
export function putLiteral(text: string): void {
  const units = text.length;
  reserve(units);
  memory.copy(outPtr + ((<usize>outLength) << 1), changetype<usize>(text), (<usize>units) << 1);
  outLength += units;
}

export function putSpaces(count: i32): void {
  reserve(count);
  for (let i = 0; i < count; i++) putUnit(0x20);
}

export function putDecimalU64(value: u64): void {
  reserve(20);
  if (value == 0) {
    putUnit(0x30);
    return;
  }
  let digits = 0;
  let v = value;
  while (v > 0) {
    digits++;
    v /= 10;
  }
  let p = outPtr + ((<usize>(outLength + digits - 1)) << 1);
  v = value;
  while (v > 0) {
    store<u16>(p, <u16>(0x30 + <u32>(v % 10)));
    p -= 2;
    v /= 10;
  }
  outLength += digits;
}

export function putDecimalI64(value: i64): void {
  if (value < 0) {
    putChar(0x2d);
    putDecimalU64(<u64>(-value));
  } else {
    putDecimalU64(<u64>value);
  }
}

/** Decimal with a fixed number of digits, zero padded (dates, fractions). */
export function putPadded(value: u32, width: i32): void {
  reserve(width);
  let p = outPtr + ((<usize>(outLength + width - 1)) << 1);
  for (let i = 0; i < width; i++) {
    store<u16>(p, <u16>(0x30 + value % 10));
    value /= 10;
    p -= 2;
  }
  outLength += width;
}

// @ts-ignore: decorator
@inline function hexDigit(nibble: u32, upper: bool): u32 {
  return nibble < 10 ? 0x30 + nibble : (upper ? 0x37 : 0x57) + nibble;
}

/** Hex without leading zeros (at least one digit). */
export function putHexU64(value: u64, upper: bool): void {
  reserve(16);
  let started = false;
  for (let shift = 60; shift >= 0; shift -= 4) {
    const nibble = <u32>((value >> shift) & 0xf);
    if (nibble != 0 || started || shift == 0) {
      putUnit(hexDigit(nibble, upper));
      started = true;
    }
  }
}

/** Hex with exactly `digits` digits. */
export function putHexFixed(value: u64, digits: i32, upper: bool): void {
  reserve(digits);
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) putUnit(hexDigit(<u32>((value >> shift) & 0xf), upper));
}

/** 100-ns ticks since 1601-01-01 as ISO-8601 UTC with `fractionDigits` (0..7) digits, e.g. 2016-07-08T18:12:51.681640Z. */
export function putFiletime(ticks: u64, fractionDigits: i32): void {
  const seconds = ticks / 10_000_000;
  const fraction = <u32>(ticks % 10_000_000);
  const days = <i64>(seconds / 86400);
  const secondOfDay = <u32>(seconds % 86400);
  putCivilDate(days - 134774); // 1601-01-01 .. 1970-01-01
  putChar(0x54);
  putPadded(secondOfDay / 3600, 2);
  putChar(0x3a);
  putPadded((secondOfDay / 60) % 60, 2);
  putChar(0x3a);
  putPadded(secondOfDay % 60, 2);
  if (fractionDigits > 0) {
    putChar(0x2e);
    let f = fraction;
    for (let i = fractionDigits; i < 7; i++) f /= 10;
    putPadded(f, fractionDigits);
  }
  putChar(0x5a);
}

/** Days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian; H. Hinnant's civil_from_days). */
export function putCivilDate(daysSinceEpoch: i64): void {
  const z = daysSinceEpoch + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = <i64>(z - era * 146097);
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = <u32>(doy - (153 * mp + 2) / 5 + 1);
  const month = <u32>(mp < 10 ? mp + 3 : mp - 9);
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  putPadded(<u32>(year < 0 ? 0 : year), 4);
  putChar(0x2d);
  putPadded(month, 2);
  putChar(0x2d);
  putPadded(day, 2);
}
