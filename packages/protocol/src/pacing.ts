import { ProtocolError } from "./errors.ts";

/** CPU use is measured over windows this long; shorter windows would make the pauses jittery. */
export const CPU_WINDOW_MS = 200;
/** The longest single pause, so a paused responder still notices cancellation and timeouts soon. */
export const MAX_CPU_PAUSE_MS = 5_000;

/** A task's work needed more memory than the task's memoryMb limit: that work fails instead of the host suffering. */
export class ResourceLimitError extends Error {
  override name = "ResourceLimitError";
}

/**
 * Pause-based CPU limiting (as Velociraptor does it), shared by the responders so they honour a task's
 * cpuPercent alike: they call `pace()` between units of work, and when a window has passed it pauses long enough
 * that the CPU time used in the window, over the window plus the pause, is the allowed share. How CPU time is
 * read is the runtime's: the native agent reads process.cpuUsage(); the extension cannot read its own and passes a
 * wall clock, so all the time it spends between pauses counts as busy (waiting on the browser included).
 */
export class CpuPacer {
  readonly #share: number;
  readonly #cpuMs: () => number;
  readonly #signal: AbortSignal | undefined;
  #windowStart = performance.now();
  #cpuAtWindowStart: number;

  /** `cpuMs` reads the CPU time used so far, in milliseconds; `signal` cuts pauses short (cancel, timeout). */
  constructor(cpuPercent: number, cpuMs: () => number, signal?: AbortSignal) {
    if (!(cpuPercent > 0 && cpuPercent <= 100)) throw new ProtocolError("invalid-argument", `cpuPercent must be in (0, 100], got ${cpuPercent}`);
    this.#share = cpuPercent / 100;
    this.#cpuMs = cpuMs;
    this.#signal = signal;
    this.#cpuAtWindowStart = cpuMs();
  }

  /** Pauses when a window just ended over the limit; true when a window ended, for checks that run once per window. */
  async pace(): Promise<boolean> {
    this.#signal?.throwIfAborted();
    const elapsedMs = performance.now() - this.#windowStart;
    if (elapsedMs < CPU_WINDOW_MS) return false;
    const usedMs = this.#cpuMs() - this.#cpuAtWindowStart;
    // Pause until usedMs / (elapsed + pause) equals the allowed share.
    const pauseMs = Math.min(usedMs / this.#share - elapsedMs, MAX_CPU_PAUSE_MS);
    if (pauseMs > 0) await pause(pauseMs, this.#signal);
    this.#windowStart = performance.now();
    this.#cpuAtWindowStart = this.#cpuMs();
    return true;
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
