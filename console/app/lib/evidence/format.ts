// Display helpers shared by the asset, case and evidence pages (server and browser).

/** `2026-11-27 21:05:03 UTC`: analysts compare times across hosts, so always UTC, always seconds. */
export function formatTime(value: Date | string | null | undefined): string {
  if (!value) return "—";
  const date = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? "—" : `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

export function formatAgo(value: Date | string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - new Date(value).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export function formatBytes(value: number | bigint | string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  let size = Number(value);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return unit === 0 ? `${size} B` : `${size.toFixed(1)} ${units[unit]}`;
}

/** Builds a URL search string from the current one with some keys changed (undefined or "" removes a key). */
export function withParams(current: URLSearchParams | string, changes: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams(current);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "?";
}
