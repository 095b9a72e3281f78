import type { Row } from "./types.ts";
import { isoTime } from "./types.ts";

export interface Tab {
  id?: number;
  index: number;
  url?: string;
  title?: string;
  active: boolean;
  pinned: boolean;
  audible?: boolean;
  discarded?: boolean;
  lastAccessed?: number;
}

export interface Window {
  id?: number;
  type?: string;
  state?: string;
  focused: boolean;
  incognito: boolean;
  tabs?: Tab[];
}

export interface TabsApi {
  windows: { getAll(options: { populate: boolean }): Promise<Window[]> };
}

export interface TopSitesApi {
  topSites: { get(): Promise<{ url: string; title: string }[]> };
}

export async function collectTabs(api: TabsApi): Promise<Row[]> {
  const rows: Row[] = [];
  for (const window of await api.windows.getAll({ populate: true })) {
    for (const tab of window.tabs ?? []) {
      rows.push({
        window_id: window.id ?? null,
        window_type: window.type ?? null,
        window_state: window.state ?? null,
        window_focused: window.focused,
        incognito: window.incognito,
        tab_id: tab.id ?? null,
        tab_index: tab.index,
        url: tab.url ?? null,
        title: tab.title ?? null,
        active: tab.active,
        pinned: tab.pinned,
        audible: tab.audible ?? null,
        discarded: tab.discarded ?? null,
        last_accessed: isoTime(tab.lastAccessed),
      });
    }
  }
  return rows;
}

export async function collectTopSites(api: TopSitesApi): Promise<Row[]> {
  return (await api.topSites.get()).map((site, index) => ({ rank: index + 1, url: site.url, title: site.title }));
}
