import { setTimeout as sleep } from "node:timers/promises";

/** The task asked for more memory than its limit allows; the task fails instead of the host suffering. */
export class ResourceLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResourceLimitError";
  }
}

export interface PacerLimits {
  /** Average CPU share (of one core) the agent may use while collecting. */
  cpuPercent: number;
  memoryMb: number;
}

/** How often CPU use is measured; shorter windows would make the sleeps jittery. */
const WINDOW_MS = 200;

/**
 * Keeps collection work polite: every call yields the event loop, and when the agent used more CPU
 * than its limit in the last window it sleeps long enough to bring the average back down (the same
 * pause-based limiting Velociraptor uses). Exceeding the memory limit is an error.
 */
export class Pacer {
  readonly #limits: PacerLimits;
  readonly #signal: AbortSignal;
  #windowStart = performance.now();
  #cpuAtWindowStart = process.cpuUsage();

  constructor(limits: PacerLimits, signal: AbortSignal) {
    this.#limits = limits;
    this.#signal = signal;
  }

  async pace(): Promise<void> {
    this.#signal.throwIfAborted();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const elapsedMs = performance.now() - this.#windowStart;
    if (elapsedMs < WINDOW_MS) return;
    const cpu = process.cpuUsage(this.#cpuAtWindowStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const allowedShare = this.#limits.cpuPercent / 100;
    // Sleep until cpuMs / (elapsed + pause) equals the allowed share.
    const pauseMs = cpuMs / allowedShare - elapsedMs;
    if (pauseMs > 0) await sleep(Math.min(pauseMs, 5_000), undefined, { signal: this.#signal });
    const rssBytes = process.memoryUsage.rss();
    if (rssBytes > this.#limits.memoryMb * 1024 * 1024) {
      throw new ResourceLimitError(`agent memory ${Math.round(rssBytes / 1048576)} MiB exceeds the task limit of ${this.#limits.memoryMb} MiB`);
    }
    this.#windowStart = performance.now();
    this.#cpuAtWindowStart = process.cpuUsage();
  }
}
