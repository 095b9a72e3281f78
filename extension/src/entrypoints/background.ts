import { browser } from "wxt/browser";
import { defineBackground } from "wxt/utils/define-background";
import { ArtifactCatalog } from "../collectors/catalog.ts";
import { gatherBrowserFacts, type FactsApi } from "../lib/facts.ts";
import { evidenceDb, installEvidenceDbPortListener } from "../lib/offscreen-client.ts";
import { ENROLL_NOW_MESSAGE } from "../lib/policy.ts";
import { CHECKIN_ALARM, Responder, type ResponderOptions } from "../lib/responder.ts";
import { OpfsSpool } from "../lib/spool.ts";
import { ResponderState } from "../lib/state.ts";

export function createResponder(): Responder {
  const api = browser as unknown as ResponderOptions["api"] & FactsApi;
  return new Responder({
    api,
    state: new ResponderState(browser.storage.local),
    spool: new OpfsSpool(),
    catalog: new ArtifactCatalog(),
    facts: (context) => gatherBrowserFacts(api, context),
    evidence: { insertRows: async (taskId, artifact, rows) => (await evidenceDb()).insertRows(taskId, artifact, rows) },
  });
}

export default defineBackground({
  type: "module",
  // Listeners are registered synchronously: MV3 only delivers the event that woke the worker to listeners added at start.
  main() {
    installEvidenceDbPortListener();
    const responder = createResponder();
    const tick = () => void responder.tick();
    browser.alarms.onAlarm.addListener((alarm) => {
      if (alarm.name === CHECKIN_ALARM) tick();
    });
    // Policy for a just force-installed extension lands seconds after the first start; enroll as soon as it does.
    browser.storage.onChanged.addListener((_changes, areaName) => {
      if (areaName === "managed") tick();
    });
    browser.runtime.onInstalled.addListener(tick);
    browser.runtime.onStartup.addListener(tick);
    browser.runtime.onMessage.addListener((message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== ENROLL_NOW_MESSAGE) return undefined;
      return responder.tick();
    });
    // A worker that wakes without a pending check-in alarm (first start, alarm lost) checks in now.
    void browser.alarms.get(CHECKIN_ALARM).then((alarm) => {
      if (!alarm) tick();
    });
    // Hook for the Chromium end-to-end test (sw.evaluate); harmless in production, it only exposes tick.
    (globalThis as { corvid?: unknown }).corvid = {
      tick: () => responder.tick(),
      evidenceCount: async (filter?: { taskId?: string; artifact?: string }) => (await evidenceDb()).count(filter),
      evidenceInfo: async () => (await evidenceDb()).info(),
    };
  },
});
