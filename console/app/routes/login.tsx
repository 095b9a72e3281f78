import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { getDb } from "../db.server.ts";
import { audit } from "../lib/audit.server.ts";
import { formString, isCrossSitePost, safeRedirectPath } from "../lib/auth-forms.server.ts";
import { hashPassword, verifyPassword } from "../lib/password.server.ts";
import { loginAttemptKey, loginRateLimit, recordLoginAttempt } from "../lib/rate-limit.server.ts";
import { clientIp, createSession, findSession } from "../lib/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Log in · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await findSession(await getDb(), request);
  if (session && !session.twoFactorPending) throw redirect("/");
  return null;
}

/** Compared against when the email is unknown, so both cases take the same time. */
let dummyHash: Promise<string> | undefined;

export async function action({ request }: ActionFunctionArgs) {
  if (isCrossSitePost(request)) return data({ error: "Cross-site login attempt refused." }, { status: 403 });
  const db = await getDb();
  const form = await request.formData();
  const email = formString(form, "email", 320).toLowerCase();
  const password = typeof form.get("password") === "string" ? String(form.get("password")) : "";
  const redirectTo = safeRedirectPath(formString(form, "redirectTo"));
  const ip = clientIp(request);
  if (!email || !password) return data({ error: "Enter your email and password." }, { status: 400 });

  const key = loginAttemptKey(email, ip);
  const limit = await loginRateLimit(db, key);
  if (limit.limited) {
    const minutes = Math.ceil(limit.retryAfterSeconds / 60);
    await audit(db, { actorType: "user", action: "user.login_blocked", detail: { email, ip } });
    return data(
      { error: `Too many failed logins for this account from your address. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.` },
      { status: 429, headers: { "Retry-After": String(limit.retryAfterSeconds) } },
    );
  }

  const user = await db.user.findUnique({ where: { email } });
  dummyHash ??= hashPassword("corvid-timing-equalizer");
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  if (!user || !passwordOk || user.disabled) {
    await recordLoginAttempt(db, key, false);
    await audit(db, {
      organizationId: user?.organizationId ?? null,
      actorType: "user",
      actorId: user?.id ?? null,
      action: "user.login_failed",
      detail: { email, ip, reason: !user ? "unknown email" : !passwordOk ? "wrong password" : "account disabled" },
    });
    return data({ error: user?.disabled && passwordOk ? "This account is disabled. Ask an administrator." : "Wrong email or password." }, { status: 401 });
  }

  await recordLoginAttempt(db, key, true);
  const cookie = await createSession(db, request, { userId: user.id, twoFactorPending: user.totpEnabled });
  if (user.totpEnabled) {
    await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "user.login_password_ok", detail: { ip } });
    return redirect(`/login/2fa?redirectTo=${encodeURIComponent(redirectTo)}`, { headers: { "Set-Cookie": cookie } });
  }
  await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "user.login", detail: { ip } });
  return redirect(redirectTo, { headers: { "Set-Cookie": cookie } });
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <section className="login">
      <h1>Log in to Corvid</h1>
      {result?.error ? (
        <p className="notice error" role="alert" data-testid="login-error">
          {result.error}
        </p>
      ) : null}
      <Form method="post" className="stack">
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit">Log in</button>
      </Form>
    </section>
  );
}
