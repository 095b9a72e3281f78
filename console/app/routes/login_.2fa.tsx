import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { getDb } from "../db.server.ts";
import { audit } from "../lib/audit.server.ts";
import { formString, safeRedirectPath } from "../lib/auth-forms.server.ts";
import { openSecret } from "../lib/crypto-box.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { csrfTokenMatches } from "../lib/csrf.server.ts";
import { loginAttemptKey, loginRateLimit, recordLoginAttempt } from "../lib/rate-limit.server.ts";
import { clientIp, findSession } from "../lib/session.server.ts";
import { verifyTotp } from "../lib/totp.server.ts";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Two-factor code · Corvid" }];

async function pendingSession(request: Request) {
  const db = await getDb();
  const session = await findSession(db, request);
  if (!session) throw redirect("/login");
  if (!session.twoFactorPending) throw redirect("/");
  return { db, session };
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { session } = await pendingSession(request);
  return { csrfToken: session.csrfToken };
}

export async function action({ request }: ActionFunctionArgs) {
  const { db, session } = await pendingSession(request);
  if (!(await csrfTokenMatches(request, session.csrfToken))) return data({ error: "The form expired. Reload the page and try again." }, { status: 403 });
  const form = await request.formData();
  const { user } = session;
  const ip = clientIp(request);
  const key = loginAttemptKey(`2fa:${user.email}`, ip);
  const limit = await loginRateLimit(db, key);
  if (limit.limited) {
    return data({ error: `Too many wrong codes. Try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minutes.` }, { status: 429, headers: { "Retry-After": String(limit.retryAfterSeconds) } });
  }
  const ok = user.totpSecretEnc !== null && verifyTotp(openSecret(user.totpSecretEnc), formString(form, "code", 20));
  await recordLoginAttempt(db, key, ok);
  if (!ok) {
    await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "user.login_2fa_failed", detail: { ip } });
    return data({ error: "That code is not valid. Use the current code from your authenticator app." }, { status: 401 });
  }
  await db.session.update({ where: { id: session.id }, data: { twoFactorPending: false } });
  await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "user.login", detail: { ip, twoFactor: true } });
  return redirect(safeRedirectPath(formString(form, "redirectTo")));
}

export default function TwoFactorLogin() {
  const { csrfToken } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <section className="login">
      <h1>Two-factor code</h1>
      <p>Enter the 6-digit code from your authenticator app.</p>
      <ActionNotice result={result} />
      <Form method="post" className="stack">
        <CsrfInput token={csrfToken} />
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <label>
          Code
          <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" required autoFocus />
        </label>
        <button type="submit">Verify</button>
      </Form>
    </section>
  );
}
