import * as Comlink from "comlink";
import { browser } from "wxt/browser";
import { EVIDENCE_DB_PORT_MESSAGE, OFFSCREEN_CONNECT_MESSAGE, type EvidenceDbApi } from "./evidence-db.ts";

// Service-worker side of the evidence database: makes sure the offscreen document exists and talks to its
// worker over a MessagePort with Comlink. Connecting is single-flight (concurrent callers share one handshake).

const OFFSCREEN_URL = "/offscreen.html";

let remote: Comlink.Remote<EvidenceDbApi> | undefined;
let connecting: Promise<Comlink.Remote<EvidenceDbApi>> | undefined;
const waiters: ((db: Comlink.Remote<EvidenceDbApi>) => void)[] = [];

/** Must run synchronously at SW start, so the port posted by a just-created offscreen document is not missed. */
export function installEvidenceDbPortListener(): void {
  self.addEventListener("message", (event: Event) => {
    const message = event as MessageEvent;
    if ((message.data as { type?: string } | null)?.type !== EVIDENCE_DB_PORT_MESSAGE || !message.ports[0]) return;
    remote = Comlink.wrap<EvidenceDbApi>(message.ports[0]);
    for (const resolve of waiters.splice(0)) resolve(remote);
  });
}

async function offscreenExists(): Promise<boolean> {
  const contexts = await browser.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT" as never], documentUrls: [(browser.runtime as unknown as { getURL(path: string): string }).getURL(OFFSCREEN_URL)] });
  return contexts.length > 0;
}

async function connect(timeoutMs: number): Promise<Comlink.Remote<EvidenceDbApi>> {
  const port = new Promise<Comlink.Remote<EvidenceDbApi>>((resolve) => waiters.push(resolve));
  if (await offscreenExists()) {
    // The document survived a SW restart: ask it for a fresh port (its listener may need a moment after creation).
    for (let attempt = 0; ; attempt++) {
      try {
        await browser.runtime.sendMessage({ type: OFFSCREEN_CONNECT_MESSAGE });
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } else {
    await browser.offscreen.createDocument({ url: OFFSCREEN_URL, reasons: ["WORKERS" as never], justification: "Hosts the worker that runs the SQLite (wasm) evidence database on OPFS" });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("evidence database did not answer")), timeoutMs)));
  return Promise.race([port, timeout]).finally(() => clearTimeout(timer));
}

export function evidenceDb(timeoutMs = 15_000): Promise<Comlink.Remote<EvidenceDbApi>> {
  if (remote) return Promise.resolve(remote);
  connecting ??= connect(timeoutMs).finally(() => (connecting = undefined));
  return connecting;
}
