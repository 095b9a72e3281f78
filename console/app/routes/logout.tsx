import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { audit } from "../lib/audit.server.ts";
import { requireUser } from "../lib/auth.server.ts";
import { destroySession } from "../lib/session.server.ts";

export async function action({ request }: ActionFunctionArgs) {
  const { db, user, organizationId } = await requireUser(request, { ownAccount: true });
  const cookie = await destroySession(db, request);
  await audit(db, { organizationId, actorType: "user", actorId: user.id, action: "user.logout" });
  return redirect("/login", { headers: { "Set-Cookie": cookie } });
}
