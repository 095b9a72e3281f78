import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { UserAdminError, createUser, resetPassword, resetTwoFactor, setDisabled, setRole } from "../lib/auth-admin.server.ts";
import { formString } from "../lib/auth-forms.server.ts";
import { ROLES } from "../lib/auth-roles.ts";
import { requireUser } from "../lib/auth.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Users · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { db, organizationId, csrfToken, user } = await requireUser(request, { role: "admin" });
  const users = await db.user.findMany({
    where: { organizationId },
    orderBy: { email: "asc" },
    select: { id: true, email: true, name: true, role: true, disabled: true, totpEnabled: true, mustChangePassword: true, lastLoginAt: true, createdAt: true },
  });
  return { users, csrfToken, currentUserId: user.id };
}

type ActionResult = { error: string } | { message: string; oneTimePassword?: string; email?: string };

export async function action({ request }: ActionFunctionArgs) {
  const { db, organizationId, user } = await requireUser(request, { role: "admin" });
  const form = await request.formData();
  const actor = { type: "user", userId: user.id } as const;
  const userId = formString(form, "userId", 100);
  try {
    switch (formString(form, "intent")) {
      case "create": {
        const created = await createUser(db, { organizationId, email: formString(form, "email", 320), name: formString(form, "name", 200), role: formString(form, "role"), actor });
        return data<ActionResult>({ message: `Created ${created.user.email}. Give them this one-time password; it is shown only once.`, oneTimePassword: created.oneTimePassword, email: created.user.email });
      }
      case "reset-password": {
        const reset = await resetPassword(db, { organizationId, userId, actor });
        return data<ActionResult>({ message: `New one-time password for ${reset.user.email}; it is shown only once.`, oneTimePassword: reset.oneTimePassword, email: reset.user.email });
      }
      case "role":
        await setRole(db, { organizationId, userId, role: formString(form, "role"), actor });
        return data<ActionResult>({ message: "Role changed." });
      case "disable":
      case "enable":
        await setDisabled(db, { organizationId, userId, disabled: formString(form, "intent") === "disable", actor });
        return data<ActionResult>({ message: formString(form, "intent") === "disable" ? "User disabled." : "User enabled." });
      case "reset-2fa":
        await resetTwoFactor(db, { organizationId, userId, actor });
        return data<ActionResult>({ message: "Two-factor authentication reset; the user sets it up again at next login." });
      default:
        return data<ActionResult>({ error: "Unknown action." }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof UserAdminError) return data<ActionResult>({ error: error.message }, { status: error.status });
    throw error;
  }
}

export default function UsersPage() {
  const { users, csrfToken, currentUserId } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section>
      <h1>Users</h1>
      <ActionNotice result={result}>
        {result && "oneTimePassword" in result && result.oneTimePassword ? (
          <code className="secret" data-testid="one-time-password">
            {result.oneTimePassword}
          </code>
        ) : null}
      </ActionNotice>
      <table data-testid="users-table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Status</th>
            <th>2FA</th>
            <th>Last login</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid="user-row" data-email={u.email}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>
                <Form method="post" className="inline">
                  <CsrfInput token={csrfToken} />
                  <input type="hidden" name="intent" value="role" />
                  <input type="hidden" name="userId" value={u.id} />
                  <select name="role" defaultValue={u.role} aria-label={`Role of ${u.email}`} disabled={u.id === currentUserId}>
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                  {u.id === currentUserId ? null : (
                    <button type="submit" className="secondary">
                      Set
                    </button>
                  )}
                </Form>
              </td>
              <td data-testid="user-status">{u.disabled ? "disabled" : u.mustChangePassword ? "must set password" : "active"}</td>
              <td>{u.totpEnabled ? "on" : "off"}</td>
              <td>{u.lastLoginAt ? new Date(u.lastLoginAt).toISOString().replace("T", " ").slice(0, 19) : "never"}</td>
              <td>
                {u.id === currentUserId ? (
                  <span className="muted">you</span>
                ) : (
                  <>
                    {(
                      [
                        [u.disabled ? "enable" : "disable", u.disabled ? "Enable" : "Disable"],
                        ["reset-password", "Reset password"],
                        ["reset-2fa", "Reset 2FA"],
                      ] as const
                    ).map(([intent, label]) => (
                      <Form method="post" className="inline" key={intent}>
                        <CsrfInput token={csrfToken} />
                        <input type="hidden" name="intent" value={intent} />
                        <input type="hidden" name="userId" value={u.id} />
                        <button type="submit" className="secondary" aria-label={`${label} ${u.email}`}>
                          {label}
                        </button>
                      </Form>
                    ))}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Add a user</h2>
      {/* Keyed by the last created user so the form starts empty again after a successful create. */}
      <Form method="post" className="stack" key={result && "email" in result ? result.email : "new-user"}>
        <CsrfInput token={csrfToken} />
        <input type="hidden" name="intent" value="create" />
        <label>
          Email
          <input name="email" type="email" required />
        </label>
        <label>
          Name
          <input name="name" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="analyst">
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Create user</button>
      </Form>
    </section>
  );
}
