import { ProtocolError } from "./errors.ts";

/** Small fleets check in this often. */
export const BASE_CHECKIN_INTERVAL_SEC = 30;
/** Above the base, the interval grows with the fleet so the console sees about this many check-ins per second. */
export const TARGET_CHECKINS_PER_SEC = 100;
export const CHECKIN_JITTER_FRACTION = 0.1;
export const MIN_CHECKIN_INTERVAL_SEC = 10;
/** Beyond 90,000 assets the load grows again rather than leave responders out of touch for longer. */
export const MAX_CHECKIN_INTERVAL_SEC = 900;

/**
 * Seconds until a responder's next check-in: 30 s for small fleets, assets / 100 s once that is longer
 * (so the load stays flat at ~100 check-ins/s), ±10 % jitter so responders spread out, clamped to
 * [MIN, MAX] and rounded to whole seconds.
 *
 * AIR's wording ("30 s below 1,000 assets, else assets / 100 s") would drop to 10 s at exactly 1,000
 * assets and triple the load; taking the larger of the two keeps the curve continuous.
 */
export function computeCheckinInterval(assetCount: number, random: () => number = Math.random): number {
  if (!Number.isFinite(assetCount) || assetCount < 0) {
    throw new ProtocolError("invalid-argument", `asset count must be a non-negative number, got ${assetCount}`);
  }
  const sample = random();
  if (!(sample >= 0 && sample < 1)) throw new ProtocolError("invalid-argument", `random() must return [0, 1), got ${sample}`);
  const base = Math.max(BASE_CHECKIN_INTERVAL_SEC, assetCount / TARGET_CHECKINS_PER_SEC);
  const jittered = base * (1 + (sample * 2 - 1) * CHECKIN_JITTER_FRACTION);
  return Math.round(Math.min(MAX_CHECKIN_INTERVAL_SEC, Math.max(MIN_CHECKIN_INTERVAL_SEC, jittered)));
}
