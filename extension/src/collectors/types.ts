import type { ParameterValue } from "@corvid/protocol";

/** One output row; keys are the artifact's column names. */
export type Row = Record<string, unknown>;

export interface CollectContext {
  /** The task's parameter values over the artifact's defaults (resolveArtifactParameters). */
  parameters: Record<string, ParameterValue>;
  /** What the managed policy allows beyond metadata. */
  policy: { allowCookieValues: boolean };
  /**
   * Collectors that call Chrome many times await this between calls: the task's CPU pacing and deadline live
   * there, apart from how rows are batched for storage.
   */
  checkpoint?: () => Promise<void>;
}

/** Chrome's times are milliseconds since the epoch, sometimes fractional; absent or zero means "unknown". */
export function isoTime(milliseconds: number | undefined | null): string | null {
  if (milliseconds === undefined || milliseconds === null || !Number.isFinite(milliseconds) || milliseconds <= 0) return null;
  return new Date(milliseconds).toISOString();
}
