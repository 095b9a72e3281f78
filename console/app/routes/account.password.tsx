import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { audit } from "../lib/audit.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { hashPassword, passwordProblem, verifyPassword } from "../lib/password.server.ts";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Password · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, csrfToken } = await requireUser(request, { ownAccount: true });
  return { csrfToken, forced: user.mustChangePassword };
}

export async function action({ request }: ActionFunctionArgs) {
  const { db, user, organizationId, sessionId } = await requireUser(request, { ownAccount: true });
  const form = await request.formData();
  const current = String(form.get("current") ?? "");
  const password = String(form.get("password") ?? "");
  if (!(await verifyPassword(current, user.passwordHash))) return data({ error: "The current password is wrong." }, { status: 400 });
  const problem = passwordProblem(password);
  if (problem) return data({ error: problem }, { status: 400 });
  if (password !== String(form.get("confirm") ?? "")) return data({ error: "The two new passwords differ." }, { status: 400 });
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password), mustChangePassword: false } });
  // Other sessions may belong to whoever knew the old password.
  await db.session.deleteMany({ where: { userId: user.id, id: { not: sessionId } } });
  await audit(db, { organizationId, actorType: "user", actorId: user.id, action: "user.password_change", target: `user:${user.id}` });
  return redirect("/");
}

export default function PasswordPage() {
  const { csrfToken, forced } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section>
      <h1>Change password</h1>
      {forced ? <p className="notice">Your password was set by an administrator. Choose your own before you continue.</p> : null}
      <ActionNotice result={result} />
      <Form method="post" className="stack">
        <CsrfInput token={csrfToken} />
        <label>
          Current (or one-time) password
          <input name="current" type="password" autoComplete="current-password" required />
        </label>
        <label>
          New password (at least 10 characters)
          <input name="password" type="password" autoComplete="new-password" minLength={10} required />
        </label>
        <label>
          Repeat the new password
          <input name="confirm" type="password" autoComplete="new-password" minLength={10} required />
        </label>
        <button type="submit">Change password</button>
      </Form>
    </section>
  );
}
