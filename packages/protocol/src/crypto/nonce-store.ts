/**
 * Remembers nonces until they expire. `rememberIfNew` must be atomic: it returns false when the key was
 * already present and not yet expired (a replay), otherwise stores it and returns true. The console's
 * database-backed store gets the same effect from a unique key on insert.
 */
export interface NonceStore {
  rememberIfNew(key: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/** Process-local store; expired entries are swept at most once per `sweepIntervalMs`. */
export class InMemoryNonceStore implements NonceStore {
  readonly #expiresAt = new Map<string, number>();
  readonly #sweepIntervalMs: number;
  #nextSweepAt = 0;

  constructor(options: { sweepIntervalMs?: number } = {}) {
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  }

  get size(): number {
    return this.#expiresAt.size;
  }

  rememberIfNew(key: string, expiresAtMs: number, nowMs: number): boolean {
    if (nowMs >= this.#nextSweepAt) this.#sweep(nowMs);
    const existing = this.#expiresAt.get(key);
    if (existing !== undefined && existing > nowMs) return false;
    this.#expiresAt.set(key, expiresAtMs);
    return true;
  }

  #sweep(nowMs: number): void {
    for (const [key, expiresAt] of this.#expiresAt) if (expiresAt <= nowMs) this.#expiresAt.delete(key);
    this.#nextSweepAt = nowMs + this.#sweepIntervalMs;
  }
}
