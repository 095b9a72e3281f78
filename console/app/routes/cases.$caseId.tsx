import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { hasRole, requireUser } from "../lib/auth.server.ts";
import { InputError, addCaseNote, getCase, notFoundResponse, setCaseStatus } from "../lib/cases.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { formatBytes, formatTime } from "../lib/evidence/format.ts";
import { cancelTask, isOpenAssignmentState, summarizeAssignments, taskArtifacts } from "../lib/tasks.server.ts";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.case.name ?? "Case"} · Corvid` }];

/** While a task is still running somewhere the page refreshes itself this often. */
const LIVE_REFRESH_MS = 2000;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken, user } = await requireUser(request);
  const found = await getCase(db, organizationId, params.caseId ?? "");
  if (!found) throw notFoundResponse("Case");
  return {
    csrfToken,
    canEdit: hasRole(user, "analyst"),
    case: {
      id: found.id,
      name: found.name,
      description: found.description,
      status: found.status,
      createdAt: found.createdAt.toISOString(),
      createdBy: found.createdBy.email,
    },
    live: found.tasks.some((task) => task.assignments.some((assignment) => isOpenAssignmentState(assignment.status))),
    tasks: found.tasks.map((task) => ({
      id: task.id,
      createdAt: task.createdAt.toISOString(),
      expiresAt: task.expiresAt.toISOString(),
      cancelledAt: task.cancelledAt?.toISOString() ?? null,
      createdBy: task.createdBy.email,
      profile: task.profile?.name ?? null,
      artifacts: taskArtifacts(task).map((artifact) => artifact.name),
      summary: summarizeAssignments(task.assignments),
      open: !task.cancelledAt && task.assignments.some((assignment) => isOpenAssignmentState(assignment.status)),
      assignments: task.assignments.map((assignment) => ({
        id: assignment.id,
        assetId: assignment.asset.id,
        hostname: assignment.asset.hostname,
        status: assignment.status,
        progress: assignment.progress,
        message: assignment.message,
        error: assignment.error,
        deliveredAt: assignment.deliveredAt?.toISOString() ?? null,
        finishedAt: assignment.finishedAt?.toISOString() ?? null,
      })),
    })),
    notes: found.notes.map((note) => ({ id: note.id, body: note.body, createdAt: note.createdAt.toISOString(), author: note.author.email })),
    evidence: found.evidence.map((item) => ({
      id: item.id,
      artifact: item.artifact,
      name: item.name,
      kind: item.kind,
      hostname: item.asset.hostname,
      size: item.size.toString(),
      rowCount: item.rowCount,
      sha256: item.sha256,
      receivedAt: item.receivedAt.toISOString(),
    })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { db, user } = await requireUser(request, { role: "analyst" });
  const caseId = params.caseId ?? "";
  const form = await request.formData();
  try {
    switch (String(form.get("intent") ?? "")) {
      case "note":
        if (!(await addCaseNote(db, user, caseId, String(form.get("body") ?? "")))) throw notFoundResponse("Case");
        return data({ message: "Note added." });
      case "close":
      case "reopen":
        if (!(await setCaseStatus(db, user, caseId, form.get("intent") === "close" ? "closed" : "open"))) throw notFoundResponse("Case");
        return data({ message: form.get("intent") === "close" ? "Case closed." : "Case reopened." });
      case "cancel-task": {
        const taskId = String(form.get("taskId") ?? "");
        const owned = await db.task.findFirst({ where: { id: taskId, caseId, organizationId: user.organizationId }, select: { id: true } });
        if (!owned || !(await cancelTask(db, user, taskId))) throw notFoundResponse("Task");
        return data({ message: "Task cancelled." });
      }
      default:
        return data({ error: "Unknown action." }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof InputError) return data({ error: error.message }, { status: 400 });
    throw error;
  }
}

function useLiveRefresh(active: boolean) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, revalidator]);
}

export default function CasePage() {
  const { case: current, tasks, notes, evidence, csrfToken, canEdit, live } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  useLiveRefresh(live);
  return (
    <section>
      <p>
        <Link to="/cases">← Cases</Link>
      </p>
      <h1>{current.name}</h1>
      <p className="muted">
        <span data-testid="case-status">{current.status}</span> · created {formatTime(current.createdAt)} by {current.createdBy}
      </p>
      {current.description ? <p>{current.description}</p> : null}
      <ActionNotice result={result} />
      {canEdit ? (
        <div className="inline">
          {current.status === "open" ? (
            <Link to={`/cases/${current.id}/tasks/new`}>New acquisition</Link>
          ) : null}{" "}
          <Form method="post" className="inline">
            <CsrfInput token={csrfToken} />
            <input type="hidden" name="intent" value={current.status === "open" ? "close" : "reopen"} />
            <button type="submit" className="secondary">
              {current.status === "open" ? "Close case" : "Reopen case"}
            </button>
          </Form>
        </div>
      ) : null}

      <h2>Tasks {live ? <span className="muted">(live)</span> : null}</h2>
      {tasks.length === 0 ? <p className="muted">No tasks yet.</p> : null}
      {tasks.map((task) => (
        <article key={task.id} className="card" data-testid="task" data-task-id={task.id}>
          <p>
            <strong>{task.profile ?? "Acquisition"}</strong> · {task.artifacts.join(", ")}
          </p>
          <p className="muted">
            created {formatTime(task.createdAt)} by {task.createdBy} · expires {formatTime(task.expiresAt)}
            {task.cancelledAt ? ` · cancelled ${formatTime(task.cancelledAt)}` : ""} ·{" "}
            {Object.entries(task.summary.byState)
              .map(([state, count]) => `${count} ${state}`)
              .join(", ")}
          </p>
          <table data-testid="task-assignments">
            <thead>
              <tr>
                <th>Asset</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Message</th>
                <th>Delivered</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {task.assignments.map((assignment) => (
                <tr key={assignment.id} data-testid="assignment-row" data-hostname={assignment.hostname}>
                  <td>
                    <Link to={`/assets/${assignment.assetId}`}>{assignment.hostname}</Link>
                  </td>
                  <td data-testid="assignment-status" className={assignment.status === "completed" ? "ok" : assignment.status === "failed" ? "bad" : undefined}>
                    {assignment.status}
                  </td>
                  <td>
                    <progress max={1} value={assignment.progress} aria-label={`Progress on ${assignment.hostname}`} />{" "}
                    <span data-testid="assignment-progress">{Math.round(assignment.progress * 100)} %</span>
                  </td>
                  <td>{assignment.error ?? assignment.message ?? ""}</td>
                  <td>{formatTime(assignment.deliveredAt)}</td>
                  <td>{formatTime(assignment.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {canEdit && task.open ? (
            <Form method="post" className="inline">
              <CsrfInput token={csrfToken} />
              <input type="hidden" name="intent" value="cancel-task" />
              <input type="hidden" name="taskId" value={task.id} />
              <button type="submit" className="secondary">
                Cancel task
              </button>
            </Form>
          ) : null}
        </article>
      ))}

      <h2>Evidence</h2>
      <table data-testid="evidence-table">
        <thead>
          <tr>
            <th>Artifact</th>
            <th>Asset</th>
            <th>Kind</th>
            <th>Rows</th>
            <th>Size</th>
            <th>SHA-256</th>
            <th>Received</th>
          </tr>
        </thead>
        <tbody>
          {evidence.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                No evidence yet.
              </td>
            </tr>
          ) : null}
          {evidence.map((item) => (
            <tr key={item.id} data-testid="evidence-row" data-artifact={item.artifact} data-hostname={item.hostname}>
              <td>
                <Link to={`/evidence/${item.id}`}>{item.artifact}</Link>
                {item.kind === "file" ? <span className="muted"> {item.name}</span> : null}
              </td>
              <td>{item.hostname}</td>
              <td>{item.kind}</td>
              <td>{item.rowCount ?? ""}</td>
              <td>{formatBytes(item.size)}</td>
              <td className="mono" title={item.sha256}>
                {item.sha256.slice(0, 16)}…
              </td>
              <td>{formatTime(item.receivedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Notes</h2>
      <ul data-testid="case-notes">
        {notes.map((note) => (
          <li key={note.id}>
            <p style={{ whiteSpace: "pre-wrap" }}>{note.body}</p>
            <p className="muted">
              {note.author} · {formatTime(note.createdAt)}
            </p>
          </li>
        ))}
      </ul>
      {canEdit ? (
        <Form method="post" className="stack">
          <CsrfInput token={csrfToken} />
          <input type="hidden" name="intent" value="note" />
          <label>
            Add a note
            <textarea name="body" rows={3} required />
          </label>
          <button type="submit">Add note</button>
        </Form>
      ) : null}
    </section>
  );
}
