import { browser } from "wxt/browser";
import { defineBackground } from "wxt/utils/define-background";
import { ArtifactCatalog } from "../collectors/catalog.ts";
import { gatherBrowserFacts, type FactsApi } from "../lib/facts.ts";
import type { EvidenceSink } from "../lib/evidence-db.ts";
import { evidenceDb, installEvidenceDbPortListener } from "../lib/offscreen-client.ts";
import { ENROLL_NOW_MESSAGE } from "../lib/policy.ts";
import { CHECKIN_ALARM, Responder, type ResponderOptions } from "../lib/responder.ts";
import { OpfsSpool } from "../lib/spool.ts";
import { ResponderState } from "../lib/state.ts";

const api = () => browser as unknown as ResponderOptions["api"] & FactsApi;
const evidence: EvidenceSink = { insertRows: async (taskId, artifact, rows) => (await evidenceDb()).insertRows(taskId, artifact, rows) };

export function createResponder(catalog: ArtifactCatalog): Responder {
  return new Responder({
    api: api(),
    state: new ResponderState(browser.storage.local),
    spool: new OpfsSpool(),
    catalog,
    facts: (context) => gatherBrowserFacts(api(), context),
    evidence,
  });
}

/** Collects one artifact into the evidence database only, without a task or upload (bench and diagnostics). */
async function collectIntoEvidence(catalog: ArtifactCatalog, artifact: string, taskId: string): Promise<number> {
  let rows = 0;
  await catalog.collect(artifact, {}, api(), { allowCookieValues: false }, async (batch) => {
    await evidence.insertRows(taskId, artifact, batch.map((row) => JSON.stringify(row)));
    rows += batch.length;
  });
  return rows;
}

export default defineBackground({
  type: "module",
  // Listeners are registered synchronously: MV3 only delivers the event that woke the worker to listeners added at start.
  main() {
    installEvidenceDbPortListener();
    const catalog = new ArtifactCatalog();
    const responder = createResponder(catalog);
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
    // Hooks for the Chromium test and the bench (sw.evaluate); they only trigger what a check-in or task would.
    (globalThis as { corvid?: unknown }).corvid = {
      tick: () => responder.tick(),
      evidenceCount: async (filter?: { taskId?: string; artifact?: string }) => (await evidenceDb()).count(filter),
      evidenceInfo: async () => (await evidenceDb()).info(),
      collectIntoEvidence: (artifact: string, taskId: string) => collectIntoEvidence(catalog, artifact, taskId),
    };
  },
});
