import { CpuPacer, ResourceLimitError } from "@corvid/protocol";

export interface PacerLimits {
  /** Average CPU share (of one core) the agent may use while collecting. */
  cpuPercent: number;
  memoryMb: number;
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Keeps collection work polite: every call yields the event loop, the shared CpuPacer pauses when the agent's
 * own CPU time went over the limit in the last window, and exceeding the memory limit is an error.
 */
export class Pacer {
  readonly #memoryMb: number;
  readonly #signal: AbortSignal;
  readonly #cpu: CpuPacer;

  constructor(limits: PacerLimits, signal: AbortSignal) {
    this.#memoryMb = limits.memoryMb;
    this.#signal = signal;
    this.#cpu = new CpuPacer(limits.cpuPercent, processCpuMs, signal);
  }

  async pace(): Promise<void> {
    this.#signal.throwIfAborted();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!(await this.#cpu.pace())) return;
    const rssBytes = process.memoryUsage.rss();
    if (rssBytes > this.#memoryMb * 1024 * 1024) {
      throw new ResourceLimitError(`agent memory ${Math.round(rssBytes / 1048576)} MiB exceeds the task limit of ${this.#memoryMb} MiB`);
    }
  }
}
