import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { requireUser } from "../lib/auth.server.ts";
import { notFoundResponse } from "../lib/cases.server.ts";
import { getEvidence } from "../lib/evidence/evidence.server.ts";
import { formatBytes, formatTime, withParams } from "../lib/evidence/format.ts";
import { PAGE_SIZES, evidenceColumns, parseTableQuery, queryEvidenceRows } from "../lib/evidence/table.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.evidence.artifact ?? "Evidence"} · Corvid` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId } = await requireUser(request);
  const evidence = await getEvidence(db, organizationId, params.evidenceId ?? "");
  if (!evidence) throw notFoundResponse("Evidence");
  const columns = evidenceColumns(evidence);
  const query = parseTableQuery(new URL(request.url).searchParams, columns);
  const table = evidence.kind === "table" ? await queryEvidenceRows(db, evidence, query) : null;
  return {
    evidence: {
      id: evidence.id,
      artifact: evidence.artifact,
      name: evidence.name,
      kind: evidence.kind,
      contentType: evidence.contentType,
      size: evidence.size.toString(),
      sha256: evidence.sha256,
      rowCount: evidence.rowCount,
      collectedAt: evidence.collectedAt.toISOString(),
      receivedAt: evidence.receivedAt.toISOString(),
      acquiredBy: evidence.acquiredBy,
      sourcePath: evidence.upload.sourcePath,
      chunks: evidence.upload.chunkCount,
      case: evidence.case,
      taskId: evidence.task.id,
      taskCreatedAt: evidence.task.createdAt.toISOString(),
      requestedBy: evidence.requestedBy?.email ?? evidence.task.createdBy.email,
      asset: evidence.asset,
    },
    columns,
    query,
    pageSizes: PAGE_SIZES,
    table: table ? { ...table, rows: table.rows.map((row) => columns.map((column) => displayValue(row[column.name]))) } : null,
  };
}

const TOOLBAR_STYLE = { display: "flex", gap: "0.6rem", alignItems: "end", flexWrap: "wrap" } as const;

/** Long values (command lines, hashes) stay on one line; the full text is in the tooltip and the exports. */
const CELL_STYLE = { maxWidth: "28rem", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" } as const;

function displayValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function CustodyPanel({ evidence }: { evidence: ReturnType<typeof useLoaderData<typeof loader>>["evidence"] }) {
  const rows: [string, React.ReactNode][] = [
    ["Case", <Link to={`/cases/${evidence.case.id}`}>{evidence.case.name}</Link>],
    ["Task", <span className="mono">{evidence.taskId}</span>],
    ["Requested by", `${evidence.requestedBy} at ${formatTime(evidence.taskCreatedAt)}`],
    ["Asset", <Link to={`/assets/${evidence.asset.id}`}>{evidence.asset.hostname}</Link>],
    ["Acquired by responder", <span className="mono">{evidence.acquiredBy}</span>],
    ["Collected", formatTime(evidence.collectedAt)],
    ["Received", formatTime(evidence.receivedAt)],
    ["Source path", evidence.sourcePath ?? "—"],
    ["Size", `${formatBytes(evidence.size)} (${evidence.size} bytes, ${evidence.chunks} chunks)`],
    ["SHA-256", <code data-testid="evidence-sha256">{evidence.sha256}</code>],
  ];
  return (
    <section aria-labelledby="custody-heading">
      <h2 id="custody-heading">Chain of custody</h2>
      <table data-testid="custody">
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export default function EvidencePage() {
  const { evidence, columns, query, table, pageSizes } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const exportQuery = (format: string) => withParams(params, { format, page: undefined, size: undefined });
  return (
    <section>
      <p>
        <Link to={`/cases/${evidence.case.id}`}>← {evidence.case.name}</Link>
      </p>
      <h1>
        {evidence.artifact} <span className="muted">on {evidence.asset.hostname}</span>
      </h1>
      <p>
        <a href={`/evidence/${evidence.id}/download`} download data-testid="download-raw">
          Download raw {evidence.kind === "table" ? "JSONL" : "file"} ({evidence.name})
        </a>
        {table ? (
          <>
            {" · "}
            <a href={`/evidence/${evidence.id}/export${exportQuery("csv")}`} data-testid="export-csv">
              Export CSV
            </a>
            {" · "}
            <a href={`/evidence/${evidence.id}/export${exportQuery("jsonl")}`} data-testid="export-jsonl">
              Export JSONL
            </a>
          </>
        ) : null}
      </p>
      <CustodyPanel evidence={evidence} />
      {table ? (
        <section aria-labelledby="rows-heading">
          <h2 id="rows-heading">
            Rows <span className="muted" data-testid="row-total">{table.total}</span>
          </h2>
          <Form method="get" role="search" aria-label="Filter rows">
            <div style={TOOLBAR_STYLE}>
              <label>
                Search all columns
                <input type="search" name="q" defaultValue={query.q ?? ""} />
              </label>
              {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
              <input type="hidden" name="dir" value={query.dir} />
              <label>
                Rows per page
                <select name="size" defaultValue={String(query.pageSize)}>
                  {pageSizes.map((size) => (
                    <option key={size}>{size}</option>
                  ))}
                </select>
              </label>
              <button type="submit">Apply</button>
              <Link to="?">Clear</Link>
            </div>
            <div style={{ overflowX: "auto", width: "100%", marginTop: "0.5rem" }}>
              <table data-testid="artifact-table">
                <thead>
                  <tr>
                    {columns.map((column) => {
                      const active = query.sort === column.name;
                      const next = active && query.dir === "asc" ? "desc" : "asc";
                      return (
                        <th key={column.name} title={column.description ?? column.type} aria-sort={active ? (query.dir === "asc" ? "ascending" : "descending") : undefined}>
                          <Link to={withParams(params, { sort: column.name, dir: next, page: undefined })}>
                            {column.name} {active ? (query.dir === "asc" ? "▲" : "▼") : ""}
                          </Link>
                        </th>
                      );
                    })}
                  </tr>
                  <tr>
                    {columns.map((column) => (
                      <th key={column.name}>
                        <input name={`f.${column.name}`} defaultValue={query.filters[column.name] ?? ""} aria-label={`Filter ${column.name}`} size={8} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {table.rows.map((row, index) => (
                    <tr key={index} data-testid="artifact-row">
                      {row.map((value, cell) => (
                        <td key={columns[cell]!.name} data-column={columns[cell]!.name} className={columns[cell]!.type === "string" ? undefined : "mono"} title={value} style={CELL_STYLE}>
                          {value}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Form>
          <nav className="pager" aria-label="Pages">
            {table.page > 1 ? <Link to={withParams(params, { page: table.page - 1 })}>← Previous</Link> : <span className="muted">← Previous</span>}
            <span data-testid="page-info">
              page {table.page} of {table.pageCount}
            </span>
            {table.page < table.pageCount ? <Link to={withParams(params, { page: table.page + 1 })}>Next →</Link> : <span className="muted">Next →</span>}
          </nav>
        </section>
      ) : null}
    </section>
  );
}
