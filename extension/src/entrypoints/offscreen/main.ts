import { browser } from "wxt/browser";
import { EVIDENCE_DB_PORT_MESSAGE, OFFSCREEN_CONNECT_MESSAGE } from "../../lib/evidence-db.ts";
import EvidenceWorker from "../../lib/evidence.worker.ts?worker";

// Owns the evidence-database worker and hands the service worker a direct MessagePort to it, on load and
// again whenever a restarted service worker asks (the worker and its OPFS handles outlive SW restarts).
const worker = new EvidenceWorker({ name: "corvid-evidence-db" });

async function handOverPort(): Promise<void> {
  const channel = new MessageChannel();
  worker.postMessage({ type: "connect" }, [channel.port1]);
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({ type: EVIDENCE_DB_PORT_MESSAGE }, [channel.port2]);
}

browser.runtime.onMessage.addListener((message: unknown) => {
  if ((message as { type?: unknown } | null)?.type !== OFFSCREEN_CONNECT_MESSAGE) return undefined;
  return handOverPort().then(() => true);
});

void handOverPort();
