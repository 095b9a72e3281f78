import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { audit } from "../lib/audit.server.ts";
import { formString } from "../lib/auth-forms.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { CsrfInput } from "../lib/csrf-input.tsx";
import { ActionNotice } from "../lib/action-notice.tsx";

export const meta: MetaFunction = () => [{ title: "Settings · Corvid" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { organization, csrfToken } = await requireUser(request, { role: "admin" });
  return { csrfToken, name: organization.name, slug: organization.slug, require2fa: organization.require2fa };
}

export async function action({ request }: ActionFunctionArgs) {
  const { db, organization, organizationId, user } = await requireUser(request, { role: "admin" });
  const form = await request.formData();
  const name = formString(form, "name", 200);
  if (!name) return data({ error: "The organization needs a name." }, { status: 400 });
  const require2fa = form.get("require2fa") === "on";
  await db.organization.update({ where: { id: organizationId }, data: { name, require2fa } });
  await audit(db, {
    organizationId,
    actorType: "user",
    actorId: user.id,
    action: "organization.settings_update",
    target: `organization:${organizationId}`,
    detail: { from: { name: organization.name, require2fa: organization.require2fa }, to: { name, require2fa } },
  });
  return { message: require2fa && !user.totpEnabled ? "Saved. Two-factor authentication is now required: set it up for your own account next." : "Saved." };
}

export default function SettingsPage() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section>
      <h1>Settings</h1>
      <ActionNotice result={result} />
      <Form method="post" className="stack">
        <CsrfInput token={loaded.csrfToken} />
        <p className="muted">
          Organization identifier: <code>{loaded.slug}</code>
        </p>
        <label>
          Organization name
          <input name="name" defaultValue={loaded.name} required />
        </label>
        <label className="check">
          <input type="checkbox" name="require2fa" defaultChecked={loaded.require2fa} />
          Require two-factor authentication for every user
        </label>
        <button type="submit">Save settings</button>
      </Form>
    </section>
  );
}
