import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { type Db, getDb } from "../db.server.ts";
import { audit } from "../lib/audit.server.ts";
import { formString, isCrossSitePost } from "../lib/auth-forms.server.ts";
import { sha256Hex } from "../lib/crypto-box.server.ts";
import { hashPassword, passwordProblem } from "../lib/password.server.ts";
import { clientIp, createSession } from "../lib/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Set your password · Corvid" }];

async function validLogin(db: Db, token: string) {
  if (!token) return null;
  const login = await db.oneTimeLogin.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true } });
  if (!login || login.usedAt || login.expiresAt <= new Date() || login.user.disabled) return null;
  return login;
}

const INVALID_LINK = "This one-time login link is invalid, expired or already used. Ask an administrator for a new one (corvid user reset-password).";

export async function loader({ request }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const login = await validLogin(await getDb(), token);
  if (!login) return data({ token: null, email: null, error: INVALID_LINK }, { status: 410 });
  return { token, email: login.user.email, error: null };
}

export async function action({ request }: ActionFunctionArgs) {
  if (isCrossSitePost(request)) return data({ error: "Cross-site request refused." }, { status: 403 });
  const db = await getDb();
  const form = await request.formData();
  const login = await validLogin(db, formString(form, "token", 200));
  if (!login) return data({ error: INVALID_LINK }, { status: 410 });
  const password = String(form.get("password") ?? "");
  const problem = passwordProblem(password);
  if (problem) return data({ error: problem }, { status: 400 });
  if (password !== String(form.get("confirm") ?? "")) return data({ error: "The two passwords differ." }, { status: 400 });

  // Claim the link atomically: of two concurrent submissions only one updates a row.
  const claimed = await db.oneTimeLogin.updateMany({ where: { id: login.id, usedAt: null }, data: { usedAt: new Date() } });
  if (claimed.count !== 1) return data({ error: INVALID_LINK }, { status: 410 });
  const { user } = login;
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password), mustChangePassword: false, lastLoginAt: new Date() } });
  const cookie = await createSession(db, request, { userId: user.id, twoFactorPending: user.totpEnabled });
  await audit(db, { organizationId: user.organizationId, actorType: "user", actorId: user.id, action: "user.one_time_login", detail: { ip: clientIp(request) } });
  return redirect(user.totpEnabled ? "/login/2fa" : "/", { headers: { "Set-Cookie": cookie } });
}

export default function OneTimeLogin() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const error = result?.error ?? loaded.error;
  return (
    <section className="login">
      <h1>Set your password</h1>
      {error ? (
        <p className="notice error" role="alert" data-testid="one-time-error">
          {error}
        </p>
      ) : null}
      {loaded.token ? (
        <Form method="post" className="stack">
          <p>
            Account: <strong>{loaded.email}</strong>
          </p>
          <input type="hidden" name="token" value={loaded.token} />
          <label>
            New password (at least 10 characters)
            <input name="password" type="password" autoComplete="new-password" minLength={10} required autoFocus />
          </label>
          <label>
            Repeat the new password
            <input name="confirm" type="password" autoComplete="new-password" minLength={10} required />
          </label>
          <button type="submit">Set password and log in</button>
        </Form>
      ) : null}
    </section>
  );
}
