import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { audit } from "../lib/audit.server.ts";
import { formString } from "../lib/auth-forms.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { openSecret, sealSecret } from "../lib/crypto-box.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { generateTotpSecret, otpauthUri, verifyTotp } from "../lib/totp.server.ts";

export const meta: MetaFunction = () => [{ title: "Two-factor authentication · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, user, organization, csrfToken } = await requireUser(request, { ownAccount: true });
  if (user.totpEnabled) return { csrfToken, enabled: true as const, required: organization.require2fa, secret: null, uri: null };
  // Until it is confirmed with a code, the secret is only a pending one; it is kept (sealed) so a
  // reload shows the same secret the user may already have scanned.
  let secret = user.totpSecretEnc ? openSecret(user.totpSecretEnc) : null;
  if (!secret) {
    secret = generateTotpSecret();
    await db.user.update({ where: { id: user.id }, data: { totpSecretEnc: sealSecret(secret) } });
  }
  return { csrfToken, enabled: false as const, required: organization.require2fa, secret, uri: otpauthUri(secret, user.email) };
}

export async function action({ request }: ActionFunctionArgs) {
  const { db, user, organization, organizationId } = await requireUser(request, { ownAccount: true });
  const form = await request.formData();
  const intent = formString(form, "intent");
  const code = formString(form, "code", 20);
  if (!user.totpSecretEnc || !verifyTotp(openSecret(user.totpSecretEnc), code)) {
    return data({ error: "That code is not valid. Use the current code from your authenticator app." }, { status: 400 });
  }
  if (intent === "enable") {
    await db.user.update({ where: { id: user.id }, data: { totpEnabled: true } });
    await audit(db, { organizationId, actorType: "user", actorId: user.id, action: "user.2fa_enable", target: `user:${user.id}` });
    return redirect("/");
  }
  if (intent === "disable") {
    if (organization.require2fa) return data({ error: "Your organization requires two-factor authentication." }, { status: 400 });
    await db.user.update({ where: { id: user.id }, data: { totpEnabled: false, totpSecretEnc: null } });
    await audit(db, { organizationId, actorType: "user", actorId: user.id, action: "user.2fa_disable", target: `user:${user.id}` });
    return redirect("/account/2fa");
  }
  return data({ error: "Unknown action." }, { status: 400 });
}

export default function TwoFactorSetup() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section>
      <h1>Two-factor authentication</h1>
      {result?.error ? (
        <p className="notice error" role="alert">
          {result.error}
        </p>
      ) : null}
      {loaded.enabled ? (
        <>
          <p className="ok" data-testid="2fa-status">
            Two-factor authentication is on.
          </p>
          {loaded.required ? (
            <p className="muted">Your organization requires it.</p>
          ) : (
            <Form method="post" className="stack">
              <CsrfInput token={loaded.csrfToken} />
              <input type="hidden" name="intent" value="disable" />
              <label>
                Current code
                <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
              </label>
              <button type="submit" className="danger">
                Turn off two-factor authentication
              </button>
            </Form>
          )}
        </>
      ) : (
        <>
          {loaded.required ? <p className="notice">Your organization requires two-factor authentication. Set it up to continue.</p> : null}
          <p>Add this account to an authenticator app (TOTP, 6 digits, 30 seconds), then enter the code it shows.</p>
          <p>
            Secret (type it in):
            <code className="secret" data-testid="totp-secret">
              {loaded.secret}
            </code>
          </p>
          <p>
            Or import this URI:
            <code className="secret" data-testid="totp-uri">
              {loaded.uri}
            </code>
          </p>
          <Form method="post" className="stack">
            <CsrfInput token={loaded.csrfToken} />
            <input type="hidden" name="intent" value="enable" />
            <label>
              Code from the app
              <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
            </label>
            <button type="submit">Turn on two-factor authentication</button>
          </Form>
        </>
      )}
    </section>
  );
}
