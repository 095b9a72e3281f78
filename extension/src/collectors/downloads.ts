import type { CollectContext, Row } from "./types.ts";

export interface DownloadItem {
  id: number;
  url: string;
  finalUrl?: string;
  referrer?: string;
  filename: string;
  mime?: string;
  totalBytes?: number;
  fileSize?: number;
  danger?: string;
  state?: string;
  error?: string;
  startTime?: string;
  endTime?: string;
  exists?: boolean;
  incognito?: boolean;
  byExtensionId?: string;
}

export interface DownloadsApi {
  downloads: { search(query: { orderBy?: string[]; limit?: number }): Promise<DownloadItem[]> };
}

function isoOrNull(text: string | undefined): string | null {
  if (!text) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** chrome.downloads has no "opened" flag; `exists` (file still on disk) is the closest the API offers. */
export async function collectDownloads(api: DownloadsApi, context: CollectContext): Promise<Row[]> {
  const limit = Number(context.parameters.limit ?? 100_000);
  const items = await api.downloads.search({ orderBy: ["-startTime"], limit });
  return items.map((item) => ({
    id: item.id,
    url: item.url,
    final_url: item.finalUrl ?? null,
    referrer: item.referrer || null,
    filename: item.filename,
    mime: item.mime || null,
    total_bytes: item.totalBytes ?? null,
    file_size: item.fileSize ?? null,
    danger: item.danger ?? null,
    state: item.state ?? null,
    error: item.error ?? null,
    start_time: isoOrNull(item.startTime),
    end_time: isoOrNull(item.endTime),
    exists: item.exists ?? null,
    incognito: item.incognito ?? null,
    by_extension_id: item.byExtensionId ?? null,
  }));
}
