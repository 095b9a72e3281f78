import type { TimelineEvent } from "@corvid/protocol";
import { hasAllSitesAccess } from "../collectors/extensions.ts";
import type { Row } from "../collectors/types.ts";

// Collected rows → ECS timeline events (the `corvid-browser` Sigma mapping reads these names).

const DAY_MS = 86_400_000;

function urlFields(text: string | null | undefined): TimelineEvent["url"] | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return { full: text, domain: url.hostname, path: url.pathname, scheme: url.protocol.replace(/:$/, "") };
  } catch {
    return { full: text };
  }
}

function domainOf(text: unknown): string | undefined {
  return typeof text === "string" ? urlFields(text)?.domain : undefined;
}

function baseName(filePath: string): string {
  return filePath.split(/[\\/]/).pop() ?? filePath;
}

export function visitEvents(historyRows: readonly Row[]): TimelineEvent[] {
  return historyRows
    .filter((row) => typeof row.visit_time === "string")
    .map((row) => ({
      "@timestamp": row.visit_time as string,
      event: { dataset: "browser.navigation", kind: "event", category: ["web"], type: ["access"], action: "navigation" },
      url: urlFields(row.url as string),
      labels: { transition: String(row.transition ?? "") },
      raw: row,
    }));
}

/** Earliest visit per domain, so a download can tell whether its domain is new that day. */
export function firstVisitByDomain(historyRows: readonly Row[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const row of historyRows) {
    const domain = domainOf(row.url);
    const time = typeof row.visit_time === "string" ? Date.parse(row.visit_time) : NaN;
    if (!domain || Number.isNaN(time)) continue;
    if (!first.has(domain) || time < first.get(domain)!) first.set(domain, time);
  }
  return first;
}

export function downloadEvents(downloadRows: readonly Row[], firstVisits: ReadonlyMap<string, number>): TimelineEvent[] {
  return downloadRows.map((row) => {
    const source = (row.final_url ?? row.url) as string;
    const started = typeof row.start_time === "string" ? Date.parse(row.start_time) : NaN;
    const domain = domainOf(source);
    const firstVisit = domain ? firstVisits.get(domain) : undefined;
    // A domain never visited in history (direct link) is as new as one first visited within the day.
    const firstSeenSameDay = !Number.isNaN(started) && (firstVisit === undefined || started - firstVisit < DAY_MS);
    const filename = String(row.filename ?? "");
    return {
      "@timestamp": typeof row.start_time === "string" ? row.start_time : new Date().toISOString(),
      event: { dataset: "browser.download", kind: "event", category: ["file", "web"], type: ["creation"], action: "download" },
      url: urlFields(source),
      file: { path: filename, name: baseName(filename), ...(typeof row.file_size === "number" && row.file_size >= 0 ? { size: row.file_size } : {}) },
      ...(row.referrer ? { http: { request: { referrer: String(row.referrer) } } } : {}),
      labels: {
        mime: String(row.mime ?? ""),
        danger: String(row.danger ?? ""),
        state: String(row.state ?? ""),
        domain_first_seen_same_day: String(firstSeenSameDay),
      },
      raw: row,
    };
  });
}

/** chrome.management has no install time: the event is stamped with the time it was observed. */
export function extensionEvents(extensionRows: readonly Row[], observedAt: string): TimelineEvent[] {
  return extensionRows.map((row) => ({
    "@timestamp": observedAt,
    event: { dataset: "browser.extension", kind: "state", category: ["package"], type: ["info"], action: "extension-installed" },
    labels: {
      extension_id: String(row.id),
      extension_name: String(row.name).slice(0, 1024),
      install_type: String(row.install_type),
      enabled: String(row.enabled),
      known_malicious: String(row.known_malicious),
      risky_permissions: String(row.risky_permissions),
      all_sites_access: String(hasAllSitesAccess(row.host_permissions as string[])),
    },
    raw: row,
  }));
}
