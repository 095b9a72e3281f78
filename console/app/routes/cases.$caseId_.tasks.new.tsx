import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { listAssets } from "../lib/assets.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { InputError, notFoundResponse } from "../lib/cases.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { getArtifactCatalogue } from "../lib/responder/artifact-catalogue.server.ts";
import { DEFAULT_TASK_EXPIRY_HOURS, TASK_EXPIRY_HOURS, createAcquisitionTask, listProfiles, readNewTaskForm } from "../lib/tasks.server.ts";

export const meta: MetaFunction = () => [{ title: "New acquisition · Corvid" }];

/** Beyond this many assets a checkbox list stops being usable: target by tag instead. */
const PICKABLE_ASSETS = 500;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken } = await requireUser(request, { role: "analyst" });
  const targetCase = await db.case.findFirst({ where: { id: params.caseId ?? "", organizationId }, select: { id: true, name: true, status: true } });
  if (!targetCase) throw notFoundResponse("Case");
  const catalogue = await getArtifactCatalogue();
  const [profiles, { assets, total }] = await Promise.all([
    listProfiles(db, organizationId, catalogue),
    listAssets(db, organizationId, { pageSize: PICKABLE_ASSETS }),
  ]);
  return {
    csrfToken,
    case: targetCase,
    expiryHours: TASK_EXPIRY_HOURS,
    moreAssets: total > PICKABLE_ASSETS,
    defaultExpiryHours: DEFAULT_TASK_EXPIRY_HOURS,
    profiles: profiles.map((profile) => ({ id: profile.id, name: profile.name, artifacts: profile.artifacts, builtIn: profile.builtIn })),
    artifacts: catalogue.artifacts.map((artifact) => ({ name: artifact.name, description: artifact.description, platforms: artifact.platforms })),
    assets: assets
      .filter((asset) => !asset.revokedAt)
      .map((asset) => ({ id: asset.id, hostname: asset.hostname, platform: asset.platform, online: asset.online, tags: asset.tags })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { db, user } = await requireUser(request, { role: "analyst" });
  const caseId = params.caseId ?? "";
  try {
    const task = await createAcquisitionTask(db, user, await getArtifactCatalogue(), readNewTaskForm(await request.formData(), caseId));
    if (!task) throw notFoundResponse("Case");
    return redirect(`/cases/${caseId}`);
  } catch (error) {
    if (error instanceof InputError) return data({ error: error.message, field: error.field ?? null }, { status: 400 });
    throw error;
  }
}

export default function NewAcquisitionPage() {
  const { case: targetCase, profiles, artifacts, assets, csrfToken, expiryHours, defaultExpiryHours, moreAssets } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [targetKind, setTargetKind] = useState<"assets" | "tags">("assets");
  const [profileId, setProfileId] = useState(profiles[0]?.id ?? "");
  return (
    <section>
      <p>
        <Link to={`/cases/${targetCase.id}`}>← {targetCase.name}</Link>
      </p>
      <h1>New acquisition</h1>
      {result ? (
        <p className="notice error" role="alert">
          {result.error}
        </p>
      ) : null}
      <Form method="post" className="stack" aria-label="New acquisition">
        <CsrfInput token={csrfToken} />
        <label>
          Acquisition profile
          <select name="profileId" value={profileId} onChange={(event) => setProfileId(event.target.value)}>
            {profiles.map((profile) => (
              <option key={profile.id} value={profile.id}>
                {profile.name} ({profile.artifacts.length} artifacts)
              </option>
            ))}
            <option value="">custom: pick artifacts below</option>
          </select>
        </label>
        {profileId === "" ? (
          <fieldset>
            <legend>Artifacts</legend>
            {artifacts.map((artifact) => (
              <label key={artifact.name} className="check" title={artifact.description}>
                <input type="checkbox" name="artifact" value={artifact.name} /> {artifact.name}
              </label>
            ))}
          </fieldset>
        ) : (
          <p className="muted" data-testid="profile-artifacts">
            {profiles.find((profile) => profile.id === profileId)?.artifacts.join(", ")}
          </p>
        )}
        <fieldset>
          <legend>Targets</legend>
          <label className="check">
            <input type="radio" name="targetKind" value="assets" checked={targetKind === "assets"} onChange={() => setTargetKind("assets")} /> Pick assets
          </label>
          <label className="check">
            <input type="radio" name="targetKind" value="tags" checked={targetKind === "tags"} onChange={() => setTargetKind("tags")} /> All assets with tags
          </label>
          {targetKind === "assets" ? (
            <div data-testid="target-assets">
              {assets.length === 0 ? <p className="muted">No enrolled assets.</p> : null}
              {moreAssets ? <p className="muted">Only the first assets are listed: target larger fleets by tag.</p> : null}
              {assets.map((asset) => (
                <label key={asset.id} className="check">
                  <input type="checkbox" name="assetId" value={asset.id} aria-label={asset.hostname} /> {asset.hostname}{" "}
                  <span className="muted">
                    {asset.platform} · {asset.online ? "online" : "offline (queued until it returns)"}
                    {asset.tags.length ? ` · ${asset.tags.join(", ")}` : ""}
                  </span>
                </label>
              ))}
            </div>
          ) : (
            <>
              <label>
                Tags (comma separated, all must match)
                <input name="tags" />
              </label>
              <label>
                Platform
                <select name="platform" defaultValue="">
                  <option value="">any</option>
                  <option value="linux">linux</option>
                  <option value="windows">windows</option>
                  <option value="darwin">darwin</option>
                  <option value="browser">browser</option>
                  <option value="chromeos">chromeos</option>
                </select>
              </label>
            </>
          )}
        </fieldset>
        <label>
          Expires after
          <select name="expiresInHours" defaultValue={String(defaultExpiryHours)}>
            {expiryHours.map((hours) => (
              <option key={hours} value={hours}>
                {hours < 24 ? `${hours} h` : `${hours / 24} d`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Start acquisition</button>
      </Form>
    </section>
  );
}
