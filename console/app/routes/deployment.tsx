import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { hasRole, requireUser } from "../lib/auth.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { mergeTags } from "../lib/assets.server.ts";
import {
  createDeploymentToken,
  deploymentTokenState,
  listDeploymentTokens,
  revokeDeploymentToken,
} from "../lib/deployment-tokens.server.ts";
import { formatTime } from "../lib/evidence/format.ts";
import { consoleCaFingerprint, getResponderContext } from "../lib/responder/context.server.ts";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Deployment · Corvid" }];

const EXPIRY_DAYS = [1, 7, 30, 90] as const;

/** The URL responders use: CORVID_PUBLIC_URL when the console sits behind another name, else this request's origin. */
function consoleUrl(request: Request): string {
  return (process.env.CORVID_PUBLIC_URL || new URL(request.url).origin).replace(/\/+$/, "");
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken, user } = await requireUser(request);
  const tokens = await listDeploymentTokens(db, organizationId);
  const now = new Date();
  return {
    csrfToken,
    canManage: hasRole(user, "admin"),
    consoleUrl: consoleUrl(request),
    caFingerprint: consoleCaFingerprint() ?? null,
    // The CA the console attests with (also behind a TLS proxy): what the Chrome extension's policy pins.
    attestationFingerprint: (await getResponderContext()).identity?.caFingerprint ?? null,
    tokens: tokens.map((token) => ({
      id: token.id,
      name: token.name,
      prefix: token.prefix,
      state: deploymentTokenState(token, now),
      uses: token.uses,
      maxUses: token.maxUses,
      tags: JSON.parse(token.tags) as string[],
      expiresAt: token.expiresAt?.toISOString() ?? null,
      createdAt: token.createdAt.toISOString(),
      createdBy: token.createdBy?.email ?? "CLI",
      assets: token._count.assets,
    })),
  };
}

type ActionResult = { error: string } | { message: string; token?: string };

export async function action({ request }: ActionFunctionArgs) {
  const { db, organizationId, user } = await requireUser(request, { role: "admin" });
  const form = await request.formData();
  const actor = { type: "user", userId: user.id } as const;
  switch (String(form.get("intent") ?? "")) {
    case "create": {
      const name = String(form.get("name") ?? "").trim().slice(0, 200);
      if (!name) return data<ActionResult>({ error: "Give the token a name." }, { status: 400 });
      const days = Number(form.get("expiresInDays") ?? "");
      const maxUsesText = String(form.get("maxUses") ?? "").trim();
      const maxUses = maxUsesText ? Number(maxUsesText) : null;
      if (maxUses !== null && (!Number.isSafeInteger(maxUses) || maxUses < 1)) {
        return data<ActionResult>({ error: "Maximum uses must be a positive whole number (or empty for unlimited)." }, { status: 400 });
      }
      const { token } = await createDeploymentToken(db, {
        organizationId,
        name,
        expiresAt: (EXPIRY_DAYS as readonly number[]).includes(days) ? new Date(Date.now() + days * 86_400_000) : null,
        maxUses,
        tags: mergeTags(String(form.get("tags") ?? "").split(",")),
        actor,
      });
      return data<ActionResult>({ message: `Token "${name}" created. Copy it now: it is shown only once.`, token });
    }
    case "revoke": {
      const revoked = await revokeDeploymentToken(db, organizationId, String(form.get("tokenId") ?? ""), actor);
      if (!revoked) return data<ActionResult>({ error: "No such active token." }, { status: 404 });
      return data<ActionResult>({ message: "Token revoked. Responders already enrolled keep working." });
    }
    default:
      return data<ActionResult>({ error: "Unknown action." }, { status: 400 });
  }
}

export default function DeploymentPage() {
  const { tokens, csrfToken, canManage, consoleUrl, caFingerprint, attestationFingerprint } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const token = result && "token" in result ? result.token : undefined;
  const pin = caFingerprint ? ` --ca-fingerprint ${caFingerprint}` : "";
  const enrollCommand = `corvid-agent enroll --console ${consoleUrl} --token ${token ?? "<TOKEN>"}${pin}`;
  return (
    <section>
      <h1>Deployment</h1>
      <ActionNotice result={result}>
        {token ? (
          <code className="secret" data-testid="deployment-token">
            {token}
          </code>
        ) : null}
      </ActionNotice>

      <h2>Install the Linux responder</h2>
      <ol>
        <li>
          Copy <code>corvid-agent</code> (or a checkout with <code>agent-native/</code>) to the host.
        </li>
        <li>
          Enroll it with a deployment token (as root, so the state goes to <code>/var/lib/corvid-agent</code>):
          <code className="secret" data-testid="install-command">
            {enrollCommand}
          </code>
        </li>
        <li>
          Run it as a service with the provided systemd unit:
          <code className="secret" data-testid="systemd-command">
            sudo cp agent-native/packaging/corvid-agent.service /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now corvid-agent
          </code>
          or in the foreground with <code>corvid-agent run</code>. The asset appears under Assets at its first check-in.
        </li>
      </ol>
      {caFingerprint ? (
        <p className="muted">
          Console CA fingerprint (SHA-256): <code>{caFingerprint}</code>
        </p>
      ) : null}
      {attestationFingerprint ? (
        <p className="muted" data-testid="extension-pin">
          Chrome extension policy: set <code>caFingerprint</code> to <code>{attestationFingerprint}</code> so the extension only talks to
          this console (it checks the console&apos;s signatures against this CA before sending its token).
        </p>
      ) : null}

      <h2>Deployment tokens</h2>
      <table data-testid="tokens-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>State</th>
            <th>Uses</th>
            <th>Expires</th>
            <th>Tags</th>
            <th>Assets</th>
            <th>Created</th>
            {canManage ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} data-testid="token-row" data-name={t.name}>
              <td>{t.name}</td>
              <td className="mono">{t.prefix}…</td>
              <td data-testid="token-state" className={t.state === "active" ? "ok" : "muted"}>
                {t.state}
              </td>
              <td>
                {t.uses}
                {t.maxUses !== null ? ` / ${t.maxUses}` : ""}
              </td>
              <td>{t.expiresAt ? formatTime(t.expiresAt) : "never"}</td>
              <td>{t.tags.join(", ")}</td>
              <td>{t.assets}</td>
              <td>
                {formatTime(t.createdAt)} <span className="muted">by {t.createdBy}</span>
              </td>
              {canManage ? (
                <td>
                  {t.state === "active" ? (
                    <Form method="post" className="inline">
                      <CsrfInput token={csrfToken} />
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="tokenId" value={t.id} />
                      <button type="submit" className="secondary" aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </button>
                    </Form>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>

      {canManage ? (
        <>
          <h2>Create a token</h2>
          <Form method="post" className="stack">
            <CsrfInput token={csrfToken} />
            <input type="hidden" name="intent" value="create" />
            <label>
              Token name
              <input name="name" required maxLength={200} />
            </label>
            <label>
              Expires after
              <select name="expiresInDays" defaultValue="7">
                {EXPIRY_DAYS.map((days) => (
                  <option key={days} value={days}>
                    {days} day{days === 1 ? "" : "s"}
                  </option>
                ))}
                <option value="">never</option>
              </select>
            </label>
            <label>
              Maximum uses (empty: unlimited)
              <input name="maxUses" type="number" min={1} />
            </label>
            <label>
              Tags for enrolled assets (comma separated)
              <input name="tags" />
            </label>
            <button type="submit">Create token</button>
          </Form>
        </>
      ) : null}
    </section>
  );
}
