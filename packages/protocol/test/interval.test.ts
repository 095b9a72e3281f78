import { describe, expect, it } from "vitest";
import { MAX_CHECKIN_INTERVAL_SEC, ProtocolError, computeCheckinInterval } from "../src/index.ts";

const lowest = () => 0;
const middle = () => 0.5;
const highest = () => 0.999_999;

describe("computeCheckinInterval", () => {
  it("uses 30 s ± 10 % for small fleets", () => {
    for (const assets of [10, 999]) {
      expect(computeCheckinInterval(assets, middle)).toBe(30);
      expect(computeCheckinInterval(assets, lowest)).toBe(27);
      expect(computeCheckinInterval(assets, highest)).toBe(33);
    }
  });

  it("has no cliff at 1,000 assets: assets / 100 s only once that exceeds 30 s", () => {
    expect(computeCheckinInterval(1_000, middle)).toBe(30);
    expect(computeCheckinInterval(3_000, middle)).toBe(30);
    expect(computeCheckinInterval(5_000, middle)).toBe(50);
  });

  it("uses assets / 100 s for large fleets, keeping ~100 check-ins per second", () => {
    expect(computeCheckinInterval(50_000, middle)).toBe(500);
    expect(computeCheckinInterval(50_000, lowest)).toBe(450);
    expect(computeCheckinInterval(50_000, highest)).toBe(550);
  });

  it("never exceeds the maximum", () => {
    expect(computeCheckinInterval(10_000_000, highest)).toBe(MAX_CHECKIN_INTERVAL_SEC);
  });

  it("spreads responders across the jitter range with the default random source", () => {
    const samples = new Set(Array.from({ length: 500 }, () => computeCheckinInterval(10)));
    for (const value of samples) expect(value).toBeGreaterThanOrEqual(27), expect(value).toBeLessThanOrEqual(33);
    expect(samples.size).toBeGreaterThan(3);
  });

  it("rejects impossible inputs with a ProtocolError", () => {
    expect(() => computeCheckinInterval(-1)).toThrow(ProtocolError);
    expect(() => computeCheckinInterval(Number.NaN)).toThrow(ProtocolError);
    expect(() => computeCheckinInterval(10, () => 1)).toThrow(ProtocolError);
  });
});
