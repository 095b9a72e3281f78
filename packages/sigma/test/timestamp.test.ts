import { describe, expect, it } from "vitest";
import { parseTimestamp } from "../src/timestamp.ts";

/** The oracle: Date.parse, after the same completion of zone-less texts (UTC) that parseTimestamp promises. */
function viaDateParse(text: string): number | undefined {
  const iso = text.includes("T") ? text : text.replace(" ", "T");
  const time = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(time) ? undefined : time;
}

describe("event timestamps", () => {
  it("reads ISO 8601 times as Date.parse does, fractions cut to milliseconds and zones applied", () => {
    let seed = 11;
    const random = (below: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * below);
    const two = (n: number) => String(n).padStart(2, "0");
    const zones = ["", "Z", "z", "+02:00", "-05:30", "+0200", "-0000", "+23:59", "+24:00", "+02", "Z ", "+02:0"];
    for (let i = 0; i < 5000; i++) {
      const date = `${String([1601, 1970, 1999, 2019, 2038, 2100, 99, 10000][random(8)]).padStart(4, "0")}-${two(random(14))}-${two(random(33))}`;
      const time = `${two(random(26))}:${two(random(61))}:${two(random(61))}`;
      const fraction = random(3) === 0 ? "" : `.${"1234567890".slice(0, random(11))}`;
      const text = `${date}${random(4) === 0 ? " " : "T"}${time}${fraction}${zones[random(zones.length)]}`;
      expect(parseTimestamp(text), text).toBe(viaDateParse(text));
    }
  });

  it("reads EVTX, Sysmon and epoch forms", () => {
    expect(parseTimestamp("2019-05-14T13:37:50.1234567Z")).toBe(Date.UTC(2019, 4, 14, 13, 37, 50, 123));
    expect(parseTimestamp("2019-05-14 13:37:50.999")).toBe(Date.UTC(2019, 4, 14, 13, 37, 50, 999));
    expect(parseTimestamp("2019-05-14T15:37:50+02:00")).toBe(Date.UTC(2019, 4, 14, 13, 37, 50));
    expect(parseTimestamp("1557841070")).toBe(1557841070000);
    expect(parseTimestamp(1557841070123)).toBe(1557841070123);
    // Shorter forms go through Date.parse.
    expect(parseTimestamp("2019-05-14T13:37Z")).toBe(Date.UTC(2019, 4, 14, 13, 37));
    expect(parseTimestamp("not a time")).toBeUndefined();
    expect(parseTimestamp("")).toBeUndefined();
    expect(parseTimestamp(null)).toBeUndefined();
  });
});
