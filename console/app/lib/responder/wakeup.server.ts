import { EventEmitter } from "node:events";

/**
 * Wakes long-polling check-ins when a task is queued for their asset.
 * In-process only: with several console processes a waiting check-in still
 * answers at the end of its long-poll window, so nothing is lost, only delayed.
 */
const taskQueued = new EventEmitter();
taskQueued.setMaxListeners(0);

export function notifyTaskQueued(assetIds: Iterable<string>): void {
  for (const assetId of assetIds) taskQueued.emit(assetId);
}

/** Resolves `true` when a task is queued for the asset, `false` after `timeoutMs` or on abort. */
export function waitForTask(assetId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const finish = (woken: boolean) => {
      clearTimeout(timer);
      taskQueued.off(assetId, onTask);
      signal?.removeEventListener("abort", onAbort);
      resolve(woken);
    };
    const onTask = () => finish(true);
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    taskQueued.on(assetId, onTask);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
