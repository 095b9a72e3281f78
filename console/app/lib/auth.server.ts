// Access control for every route: who is calling, in which organization, and may they do this.
import { redirect } from "@remix-run/node";
import { type Db, getDb } from "../db.server.ts";
import type { Organization, User } from "../generated/sqlite/client.ts";
import { type Role, hasRole } from "./auth-roles.ts";
import { csrfTokenMatches, isSafeMethod } from "./csrf.server.ts";
import { findSession } from "./session.server.ts";

export { ROLES, type Role, hasRole, isRole } from "./auth-roles.ts";

export interface RequireUserOptions {
  /** minimum role; default "viewer" (any logged-in user) */
  role?: Role;
  /**
   * The request only touches the caller's own account (log out, change own password, set up
   * 2FA): allowed for viewers, and allowed before a forced password change or 2FA setup.
   */
  ownAccount?: boolean;
}

export interface AuthContext {
  user: User;
  organization: Organization;
  /** scope EVERY query by this */
  organizationId: string;
  /** put into every form as <input type="hidden" name="csrf" value={csrfToken} /> */
  csrfToken: string;
  sessionId: string;
  db: Db;
}

function forbidden(message: string): Response {
  return new Response(message, { status: 403, statusText: "Forbidden", headers: { "content-type": "text/plain; charset=utf-8" } });
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
}

/**
 * The logged-in user of this request, or a thrown Response (redirect to login / 2FA / password
 * change, or 403). For non-GET requests it also checks the CSRF token and that viewers do not write.
 */
export async function requireUser(request: Request, options: RequireUserOptions = {}): Promise<AuthContext> {
  const db = await getDb();
  const session = await findSession(db, request);
  if (!session) throw loginRedirect(request);
  if (session.twoFactorPending) throw redirect("/login/2fa");
  const { user } = session;
  const { organization, ...userFields } = user;
  if (!options.ownAccount) {
    if (user.mustChangePassword) throw redirect("/account/password");
    if (organization.require2fa && !user.totpEnabled) throw redirect("/account/2fa");
  }
  if (!isSafeMethod(request.method)) {
    if (!(await csrfTokenMatches(request, session.csrfToken))) {
      throw forbidden("The form's security token is missing or out of date. Reload the page and try again.");
    }
    if (!options.ownAccount && !hasRole(user, "analyst")) throw forbidden("Viewers cannot change anything.");
  }
  if (options.role && !hasRole(user, options.role)) throw forbidden(`This needs the ${options.role} role.`);
  return { user: userFields as User, organization, organizationId: user.organizationId, csrfToken: session.csrfToken, sessionId: session.id, db };
}

/** The logged-in user for layout purposes (nav), without redirects; null when not fully logged in. */
export async function optionalUser(request: Request): Promise<AuthContext | null> {
  const db = await getDb();
  const session = await findSession(db, request);
  if (!session || session.twoFactorPending) return null;
  const { organization, ...userFields } = session.user;
  return { user: userFields as User, organization, organizationId: organization.id, csrfToken: session.csrfToken, sessionId: session.id, db };
}
