import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { hasRole, requireUser } from "../lib/auth.server.ts";
import { InputError, createCase, listCases, readCaseInput } from "../lib/cases.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { formatTime } from "../lib/evidence/format.ts";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Cases · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken, user } = await requireUser(request);
  const params = new URL(request.url).searchParams;
  const status = params.get("status") === "closed" ? "closed" : params.get("status") === "all" ? undefined : "open";
  const q = params.get("q")?.trim() || undefined;
  const cases = await listCases(db, organizationId, { status, q });
  return {
    csrfToken,
    canCreate: hasRole(user, "analyst"),
    filter: { status: status ?? "all", q: q ?? "" },
    cases: cases.map((c) => ({
      id: c.id,
      name: c.name,
      status: c.status,
      createdAt: c.createdAt.toISOString(),
      createdBy: c.createdBy.email,
      tasks: c._count.tasks,
      evidence: c._count.evidence,
      notes: c._count.notes,
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const { db, user } = await requireUser(request, { role: "analyst" });
  try {
    const created = await createCase(db, user, readCaseInput(await request.formData()));
    return redirect(`/cases/${created.id}`);
  } catch (error) {
    if (error instanceof InputError) return data({ error: error.message }, { status: 400 });
    throw error;
  }
}

export default function CasesPage() {
  const { cases, csrfToken, canCreate, filter } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section>
      <h1>Cases</h1>
      <Form method="get" className="inline" role="search" aria-label="Filter cases">
        <label>
          Search
          <input type="search" name="q" defaultValue={filter.q} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={filter.status}>
            <option value="open">open</option>
            <option value="closed">closed</option>
            <option value="all">all</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </Form>
      <table data-testid="cases-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Tasks</th>
            <th>Evidence</th>
            <th>Notes</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {cases.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No cases.
              </td>
            </tr>
          ) : null}
          {cases.map((c) => (
            <tr key={c.id} data-testid="case-row" data-name={c.name}>
              <td>
                <Link to={`/cases/${c.id}`}>{c.name}</Link>
              </td>
              <td>{c.status}</td>
              <td>{c.tasks}</td>
              <td>{c.evidence}</td>
              <td>{c.notes}</td>
              <td>
                {formatTime(c.createdAt)} <span className="muted">by {c.createdBy}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canCreate ? (
        <>
          <h2>New case</h2>
          <ActionNotice result={result} />
          <Form method="post" className="stack">
            <CsrfInput token={csrfToken} />
            <label>
              Case name
              <input name="name" required maxLength={200} />
            </label>
            <label>
              Description
              <textarea name="description" rows={3} />
            </label>
            <button type="submit">Create case</button>
          </Form>
        </>
      ) : null}
    </section>
  );
}
