import type { CollectContext, Row } from "./types.ts";
import { isoTime } from "./types.ts";

export interface HistoryItem {
  id: string;
  url?: string;
  title?: string;
  visitCount?: number;
  typedCount?: number;
  lastVisitTime?: number;
}

export interface VisitItem {
  id: string;
  visitId: string;
  visitTime?: number;
  referringVisitId: string;
  transition: string;
  isLocal?: boolean;
}

export interface HistoryApi {
  history: {
    search(query: { text: string; startTime?: number; maxResults?: number }): Promise<HistoryItem[]>;
    getVisits(details: { url: string }): Promise<VisitItem[]>;
  };
}

/** getVisits is one IPC per URL; a few in flight keep the browser busy without flooding it. */
const VISIT_LOOKUPS_IN_FLIGHT = 16;
/** Rows handed on at once: each hand-over is a round trip to the evidence worker and a spool write. */
const ROWS_PER_BATCH = 2_000;
const DAY_MS = 86_400_000;

/** One row per visit (URL fields repeated), plus one row for a URL whose visits Chrome has already expired. */
export async function collectHistory(api: HistoryApi, context: CollectContext, onRows: (rows: Row[]) => Promise<void>): Promise<void> {
  const days = Number(context.parameters.days ?? 90);
  const maxUrls = Number(context.parameters.max_urls ?? 1_000_000);
  const items = await api.history.search({ text: "", startTime: Date.now() - days * DAY_MS, maxResults: maxUrls });
  let rows: Row[] = [];
  // The next visit lookups run while the previous batch is being stored.
  let storing: Promise<void> = Promise.resolve();
  const handOn = async () => {
    await storing;
    storing = onRows(rows);
    // Awaited at the next hand-over or at the end; until then a failure must not count as unhandled.
    storing.catch(() => undefined);
    rows = [];
  };
  try {
    for (let start = 0; start < items.length; start += VISIT_LOOKUPS_IN_FLIGHT) {
      const batch = items.slice(start, start + VISIT_LOOKUPS_IN_FLIGHT).filter((item) => item.url !== undefined);
      const visitLists = await Promise.all(batch.map((item) => api.history.getVisits({ url: item.url! })));
      batch.forEach((item, index) => {
        const urlFields = {
          url_id: item.id,
          url: item.url,
          title: item.title ?? null,
          visit_count: item.visitCount ?? 0,
          typed_count: item.typedCount ?? 0,
          last_visit_time: isoTime(item.lastVisitTime),
        };
        const visits = visitLists[index] ?? [];
        if (visits.length === 0) rows.push({ ...urlFields, visit_id: null, visit_time: null, transition: null, referring_visit_id: null, is_local: null });
        for (const visit of visits) {
          rows.push({
            ...urlFields,
            visit_id: visit.visitId,
            visit_time: isoTime(visit.visitTime),
            transition: visit.transition,
            // Chrome reports "0" when the visit has no referrer.
            referring_visit_id: visit.referringVisitId === "0" ? null : visit.referringVisitId,
            is_local: visit.isLocal ?? null,
          });
        }
      });
      if (rows.length >= ROWS_PER_BATCH) await handOn();
      await context.checkpoint?.();
    }
    if (rows.length > 0) await handOn();
  } finally {
    // A failed lookup or checkpoint (deadline) must not leave a batch still being stored while the caller cleans up.
    await storing.catch(() => undefined);
  }
  await storing;
}
