import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import type { AssetFacts } from "@corvid/protocol";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { getAsset, revokeAsset, setAssetTags } from "../lib/assets.server.ts";
import { hasRole, requireUser } from "../lib/auth.server.ts";
import { notFoundResponse } from "../lib/cases.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { formatAgo, formatBytes, formatTime } from "../lib/evidence/format.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.asset.hostname ?? "Asset"} · Corvid` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken, user } = await requireUser(request);
  const asset = await getAsset(db, organizationId, params.assetId ?? "");
  if (!asset) throw notFoundResponse("Asset");
  return {
    csrfToken,
    canEdit: hasRole(user, "analyst"),
    canRevoke: hasRole(user, "admin"),
    now: Date.now(),
    asset: {
      id: asset.id,
      hostname: asset.hostname,
      responderId: asset.responderId,
      kind: asset.kind,
      online: asset.online,
      revokedAt: asset.revokedAt?.toISOString() ?? null,
      platform: asset.platform,
      os: `${asset.osName} ${asset.osVersion}`.trim(),
      kernel: asset.facts.os?.kernel ?? null,
      arch: asset.arch,
      agentVersion: asset.agentVersion,
      ips: asset.ips,
      macs: asset.facts.macs ?? [],
      machineId: asset.facts.machineId ?? null,
      bootTime: asset.facts.bootTime ?? null,
      browser: asset.facts.browser ?? null,
      tags: asset.tags,
      cpuPercent: asset.cpuPercent,
      rssBytes: asset.rssBytes?.toString() ?? null,
      enrolledAt: asset.enrolledAt.toISOString(),
      lastSeenAt: asset.lastSeenAt.toISOString(),
      deploymentToken: asset.deploymentToken,
      evidenceCount: asset._count.evidence,
      assignments: asset.assignments.map((assignment) => ({
        id: assignment.id,
        taskId: assignment.taskId,
        caseId: assignment.task.caseId,
        caseName: assignment.task.case.name,
        status: assignment.status,
        progress: assignment.progress,
        createdAt: assignment.task.createdAt.toISOString(),
      })),
    },
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const form = await request.clone().formData();
  const intent = String(form.get("intent") ?? "");
  const { db, organizationId, user } = await requireUser(request, { role: intent === "revoke" ? "admin" : "analyst" });
  const assetId = params.assetId ?? "";
  if (intent === "revoke") {
    if (!(await revokeAsset(db, organizationId, assetId, user.id))) throw notFoundResponse("Asset");
    return data({ message: "Responder revoked: it must enroll again to report." });
  }
  if (intent === "tags") {
    const tags = String(form.get("tags") ?? "").split(",");
    if (!(await setAssetTags(db, organizationId, assetId, tags, user.id))) throw notFoundResponse("Asset");
    return data({ message: "Tags saved." });
  }
  return data({ message: "Unknown action." }, { status: 400 });
}

/** What a browser responder reports about its browser, profile and (on ChromeOS) its enterprise device. */
function browserFacts(browser: AssetFacts["browser"] | null): [string, string][] {
  if (!browser) return [];
  return [
    ["Browser", `${browser.name} ${browser.version}`],
    ["Profile email", browser.profileEmail ?? "— (not set by policy)"],
    ["Responder extension", `${browser.extensionId ?? "—"} ${browser.extensionVersion ?? ""} (${browser.managed ? "installed by policy" : "installed by a user"})`],
  ];
}

export default function AssetPage() {
  const { asset, csrfToken, canEdit, canRevoke, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const facts: [string, string][] = [
    ["Status", asset.revokedAt ? `revoked ${formatTime(asset.revokedAt)}` : asset.online ? "online" : "offline"],
    ["Last seen", `${formatTime(asset.lastSeenAt)} (${formatAgo(asset.lastSeenAt, now)})`],
    ["Responder", `${asset.responderId} (${asset.kind})`],
    ["Platform", `${asset.platform} ${asset.arch}`],
    ["OS", asset.os],
    ["Kernel", asset.kernel ?? "—"],
    ["Agent version", asset.agentVersion],
    ["IPs", asset.ips.join(", ") || "—"],
    ["MACs", asset.macs.join(", ") || "—"],
    ...browserFacts(asset.browser),
    [asset.browser ? "ChromeOS device ID" : "Machine id", asset.machineId ?? "—"],
    ["Boot time", formatTime(asset.bootTime)],
    ["Responder CPU", asset.cpuPercent === null ? "—" : `${asset.cpuPercent.toFixed(1)} %`],
    ["Responder memory", formatBytes(asset.rssBytes)],
    ["Enrolled", formatTime(asset.enrolledAt)],
    ["Deployment token", asset.deploymentToken ? `${asset.deploymentToken.name} (${asset.deploymentToken.prefix}…)` : "—"],
    ["Evidence items", String(asset.evidenceCount)],
  ];
  return (
    <section>
      <p>
        <Link to="/assets">← Assets</Link>
      </p>
      <h1>{asset.hostname}</h1>
      {result ? (
        <p className="notice" role="status">
          {result.message}
        </p>
      ) : null}
      <table data-testid="asset-facts">
        <tbody>
          {facts.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td data-testid={`fact-${label.toLowerCase().replace(/\s+/g, "-")}`}>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Tags</h2>
      {canEdit ? (
        <Form method="post" className="inline">
          <CsrfInput token={csrfToken} />
          <input type="hidden" name="intent" value="tags" />
          <label>
            Tags (comma separated)
            <input name="tags" defaultValue={asset.tags.join(", ")} />
          </label>
          <button type="submit">Save tags</button>
        </Form>
      ) : (
        <p>{asset.tags.join(", ") || "none"}</p>
      )}
      <h2>Tasks</h2>
      <table data-testid="asset-tasks">
        <thead>
          <tr>
            <th>Created</th>
            <th>Case</th>
            <th>Status</th>
            <th>Progress</th>
          </tr>
        </thead>
        <tbody>
          {asset.assignments.map((assignment) => (
            <tr key={assignment.id}>
              <td>{formatTime(assignment.createdAt)}</td>
              <td>
                <Link to={`/cases/${assignment.caseId}`}>{assignment.caseName}</Link>
              </td>
              <td data-testid="assignment-status">{assignment.status}</td>
              <td>
                <progress max={1} value={assignment.progress} aria-label="Progress" /> {Math.round(assignment.progress * 100)} %
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canRevoke && !asset.revokedAt ? (
        <>
          <h2>Revoke</h2>
          <Form method="post">
            <CsrfInput token={csrfToken} />
            <input type="hidden" name="intent" value="revoke" />
            <button type="submit" className="danger">
              Revoke responder
            </button>
          </Form>
        </>
      ) : null}
    </section>
  );
}
