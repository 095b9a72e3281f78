import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { listAssets, parseAssetListQuery, type AssetSort } from "../lib/assets.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { formatAgo, formatTime, withParams } from "../lib/evidence/format.ts";

export const meta: MetaFunction = () => [{ title: "Assets · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId } = await requireUser(request);
  const query = parseAssetListQuery(new URL(request.url).searchParams);
  const { assets, platforms, assetCount, total, page, pageCount } = await listAssets(db, organizationId, query);
  return {
    query,
    total,
    page,
    pageCount,
    platforms,
    assetCount,
    now: Date.now(),
    assets: assets.map((asset) => ({
      id: asset.id,
      hostname: asset.hostname,
      online: asset.online,
      revoked: asset.revokedAt !== null,
      lastSeenAt: asset.lastSeenAt.toISOString(),
      platform: asset.platform,
      os: `${asset.osName} ${asset.osVersion}`.trim(),
      arch: asset.arch,
      agentVersion: asset.agentVersion,
      kind: asset.kind,
      browser: asset.browser ? `${asset.browser.name} ${asset.browser.version}` : null,
      tags: asset.tags,
      ips: asset.ips,
    })),
  };
}

const SORT_LABELS: Record<AssetSort, string> = {
  hostname: "Hostname",
  lastSeenAt: "Last seen",
  platform: "Platform",
  osName: "OS",
  agentVersion: "Agent version",
  enrolledAt: "Enrolled",
};

function SortHeader({ column }: { column: AssetSort }) {
  const [params] = useSearchParams();
  const active = (params.get("sort") ?? "hostname") === column;
  const dir = params.get("dir") ?? (column === "lastSeenAt" ? "desc" : "asc");
  const next = active && dir === "asc" ? "desc" : "asc";
  return (
    <th aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}>
      <Link to={withParams(params, { sort: column, dir: next, page: undefined })}>
        {SORT_LABELS[column]} {active ? (dir === "asc" ? "▲" : "▼") : ""}
      </Link>
    </th>
  );
}

export default function AssetsPage() {
  const { assets, platforms, query, assetCount, now, total, page, pageCount } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <section>
      <h1>Assets</h1>
      <p className="muted">
        {assetCount} enrolled. <Link to="/deployment">Deploy a responder</Link>
      </p>
      <Form method="get" className="inline" role="search" aria-label="Filter assets">
        <label>
          Search
          <input type="search" name="q" defaultValue={query.q ?? ""} placeholder="hostname, IP, OS, version" />
        </label>
        <label>
          Platform
          <select name="platform" defaultValue={query.platform ?? ""}>
            <option value="">any</option>
            {platforms.map((platform) => (
              <option key={platform}>{platform}</option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={query.status ?? ""}>
            <option value="">any</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
            <option value="revoked">revoked</option>
          </select>
        </label>
        <label>
          Tag
          <input name="tag" defaultValue={query.tag ?? ""} />
        </label>
        <button type="submit">Filter</button>
      </Form>
      <table data-testid="assets-table">
        <thead>
          <tr>
            <SortHeader column="hostname" />
            <th>Status</th>
            <SortHeader column="lastSeenAt" />
            <SortHeader column="platform" />
            <SortHeader column="osName" />
            <SortHeader column="agentVersion" />
            <th>Tags</th>
            <th>IPs</th>
          </tr>
        </thead>
        <tbody>
          {assets.length === 0 ? (
            <tr>
              <td colSpan={8} className="muted">
                No assets match.
              </td>
            </tr>
          ) : null}
          {assets.map((asset) => (
            <tr key={asset.id} data-testid="asset-row" data-hostname={asset.hostname}>
              <td>
                <Link to={`/assets/${asset.id}`}>{asset.hostname}</Link>
              </td>
              <td data-testid="asset-status" className={asset.online ? "ok" : "muted"}>
                {asset.revoked ? "revoked" : asset.online ? "online" : "offline"}
              </td>
              <td title={formatTime(asset.lastSeenAt)}>{formatAgo(asset.lastSeenAt, now)}</td>
              <td>
                {asset.platform} <span className="muted">{asset.arch}</span>
                {asset.kind === "browser" ? <div data-testid="asset-browser">browser responder · {asset.browser ?? "unknown browser"}</div> : null}
              </td>
              <td>{asset.os}</td>
              <td>{asset.agentVersion}</td>
              <td>{asset.tags.join(", ")}</td>
              <td className="mono">{asset.ips.join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={withParams(params, { page: page - 1 })}>← Previous</Link> : <span className="muted">← Previous</span>}
        <span data-testid="asset-page-info">
          page {page} of {pageCount} ({total} matching)
        </span>
        {page < pageCount ? <Link to={withParams(params, { page: page + 1 })}>Next →</Link> : <span className="muted">Next →</span>}
      </nav>
    </section>
  );
}
