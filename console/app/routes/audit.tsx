import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { verifyAuditChain } from "../lib/audit.server.ts";
import { requireUser } from "../lib/auth.server.ts";

export const meta: MetaFunction = () => [{ title: "Audit log · Corvid" }];

const PAGE_SIZE = 50;

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId } = await requireUser(request, { role: "admin" });
  const params = new URL(request.url).searchParams;
  const page = Math.max(1, Math.min(1_000_000, Number.parseInt(params.get("page") ?? "1", 10) || 1));
  const action = (params.get("action") ?? "").trim().slice(0, 100);
  const where = { organizationId, ...(action ? { action: { startsWith: action } } : {}) };
  const [total, entries] = await Promise.all([
    db.auditLog.count({ where }),
    db.auditLog.findMany({ where, orderBy: { id: "desc" }, skip: (page - 1) * PAGE_SIZE, take: PAGE_SIZE }),
  ]);
  const actorIds = [...new Set(entries.filter((e) => e.actorType === "user" && e.actorId).map((e) => e.actorId!))];
  const actors = await db.user.findMany({ where: { organizationId, id: { in: actorIds } }, select: { id: true, email: true } });
  const emailById = new Map(actors.map((a) => [a.id, a.email]));
  // The chain spans all organizations (one append-only log), so verification covers all of it.
  const verification = params.get("verify") === "1" ? await verifyAuditChain(db) : null;
  return {
    page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
    total,
    action,
    verification,
    entries: entries.map((e) => ({ ...e, at: e.at.toISOString(), actorEmail: e.actorId ? (emailById.get(e.actorId) ?? null) : null })),
  };
}

function pageLink(page: number, action: string): string {
  const params = new URLSearchParams({ page: String(page) });
  if (action) params.set("action", action);
  return `?${params.toString()}`;
}

export default function AuditPage() {
  const { page, pages, total, action, verification, entries } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Audit log</h1>
      <Form method="get" className="inline">
        <label>
          Action starts with
          <input name="action" defaultValue={action} placeholder="user.login" />
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </Form>{" "}
      <Form method="get" className="inline">
        <input type="hidden" name="verify" value="1" />
        <button type="submit">Verify chain</button>
      </Form>
      {verification ? (
        verification.ok ? (
          <p className="notice ok" data-testid="audit-verify" role="status">
            Audit chain ok: {verification.entries} entries verified. Head hash <code>{verification.headHash}</code>
          </p>
        ) : (
          <p className="notice error bad" data-testid="audit-verify" role="alert">
            Audit chain BROKEN at entry {verification.brokenId}: {verification.reason} ({verification.entries} entries before it verified).
          </p>
        )
      ) : null}
      <p className="muted">
        {total} entries · page {page} of {pages}
      </p>
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Time (UTC)</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>{e.id}</td>
              <td className="mono nowrap">{e.at.replace("T", " ").slice(0, 19)}</td>
              <td>
                {e.actorType}
                {e.actorId ? <span className="muted"> {e.actorEmail ?? e.actorId}</span> : null}
              </td>
              <td data-testid="audit-action">{e.action}</td>
              <td className="mono">{e.target ?? ""}</td>
              <td className="mono">{e.detail === "{}" ? "" : e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={pageLink(page - 1, action)}>← Newer</Link> : null}
        {page < pages ? <Link to={pageLink(page + 1, action)}>Older →</Link> : null}
      </nav>
    </section>
  );
}
