// Roles and organization scoping on the Users page, and the `corvid` CLI as a child process.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../app/db.server.ts";
import { createUser } from "../app/lib/auth-admin.server.ts";
import { hashPassword } from "../app/lib/password.server.ts";
import { migrate } from "../db/migrator.js";
import * as settingsRoute from "../app/routes/settings.tsx";
import * as usersRoute from "../app/routes/users.tsx";
import * as auditRoute from "../app/routes/audit.tsx";
import * as passwordRoute from "../app/routes/account.password.tsx";
import * as loginRoute from "../app/routes/login.tsx";
import { BASE, type ConsoleUnderTest, get, post, sessionCookie, startConsole } from "./auth-harness.ts";
import { DATABASE_KINDS, tempDir } from "./helpers/databases.ts";
import { requireUser } from "../app/lib/auth.server.ts";

const PASSWORD = "a good long password";

describe.each(DATABASE_KINDS)("users and roles on %s", (_kind, createDatabase) => {
  let app: ConsoleUnderTest;
  const cookies: Record<string, string> = {};
  const csrf: Record<string, string> = {};
  let orgA = "";

  async function addUser(organizationId: string, email: string, role: string) {
    await app.db.user.create({ data: { organizationId, email, role, passwordHash: await hashPassword(PASSWORD) } });
    const login = await post(loginRoute, "/login", { form: { email, password: PASSWORD } });
    cookies[email] = sessionCookie(login);
    csrf[email] = (await requireUser(new Request(`${BASE}/`, { headers: { cookie: cookies[email] } }), { ownAccount: true })).csrfToken;
  }

  beforeAll(async () => {
    app = await startConsole(await createDatabase());
    orgA = (await app.db.organization.create({ data: { name: "A", slug: "org-a" } })).id;
    const orgB = (await app.db.organization.create({ data: { name: "B", slug: "org-b" } })).id;
    await addUser(orgA, "admin@a.test", "admin");
    await addUser(orgA, "viewer@a.test", "viewer");
    await addUser(orgA, "analyst@a.test", "analyst");
    await addUser(orgB, "admin@b.test", "admin");
  });
  afterAll(async () => {
    await app?.drop();
  });

  it("viewers and analysts cannot use the Users page, and a viewer cannot POST anything", async () => {
    const viewer = "viewer@a.test";
    const viewerPost = await post(usersRoute, "/users", { cookie: cookies[viewer], form: { csrf: csrf[viewer]!, intent: "create", email: "sneaky@a.test", role: "admin" } });
    expect(viewerPost.status).toBe(403);
    expect(viewerPost.data).toMatch(/Viewers cannot change anything/);
    expect((await get(usersRoute, "/users", { cookie: cookies[viewer] })).status).toBe(403);
    expect((await post(settingsRoute, "/settings", { cookie: cookies[viewer], form: { csrf: csrf[viewer]!, name: "x" } })).status).toBe(403);
    expect((await get(auditRoute, "/audit", { cookie: cookies[viewer] })).status).toBe(403);
    const analyst = "analyst@a.test";
    expect((await post(usersRoute, "/users", { cookie: cookies[analyst], form: { csrf: csrf[analyst]!, intent: "create", email: "sneaky@a.test", role: "admin" } })).status).toBe(403);
    expect(await app.db.user.findUnique({ where: { email: "sneaky@a.test" } })).toBeNull();
    // A viewer may still change their own password.
    const own = await post(passwordRoute, "/account/password", { cookie: cookies[viewer], form: { csrf: csrf[viewer]!, current: PASSWORD, password: "viewer's new password", confirm: "viewer's new password" } });
    expect(own.status).toBe(302);
  });

  it("an admin sees and changes only their own organization's users", async () => {
    const adminB = "admin@b.test";
    const list = await get(usersRoute, "/users", { cookie: cookies[adminB] });
    expect(list.data.users.map((u: { email: string }) => u.email)).toEqual(["admin@b.test"]);
    const victim = await app.db.user.findUniqueOrThrow({ where: { email: "analyst@a.test" } });
    for (const intent of ["disable", "reset-password", "reset-2fa"]) {
      const attempt = await post(usersRoute, "/users", { cookie: cookies[adminB], form: { csrf: csrf[adminB]!, intent, userId: victim.id } });
      expect(attempt.status).toBe(404);
    }
    const roleAttempt = await post(usersRoute, "/users", { cookie: cookies[adminB], form: { csrf: csrf[adminB]!, intent: "role", userId: victim.id, role: "viewer" } });
    expect(roleAttempt.status).toBe(404);
    expect(await app.db.user.findUniqueOrThrow({ where: { id: victim.id } })).toMatchObject({ disabled: false, role: "analyst" });
  });

  it("an admin creates, re-roles, disables and resets users, each audited", async () => {
    const admin = "admin@a.test";
    const form = (fields: Record<string, string>) => ({ cookie: cookies[admin], form: { csrf: csrf[admin]!, ...fields } });
    const created = await post(usersRoute, "/users", form({ intent: "create", email: "New.Person@A.test", name: "New Person", role: "viewer" }));
    expect(created.status).toBe(200);
    expect(created.data.oneTimePassword).toMatch(/^[\w-]{20}$/);
    const duplicate = await post(usersRoute, "/users", form({ intent: "create", email: "new.person@a.test", role: "viewer" }));
    expect(duplicate.status).toBe(409);
    const badRole = await post(usersRoute, "/users", form({ intent: "create", email: "other@a.test", role: "root" }));
    expect(badRole.status).toBe(400);

    const person = await app.db.user.findUniqueOrThrow({ where: { email: "new.person@a.test" } });
    expect(person).toMatchObject({ organizationId: orgA, role: "viewer", mustChangePassword: true });
    expect((await post(usersRoute, "/users", form({ intent: "role", userId: person.id, role: "analyst" }))).status).toBe(200);
    expect((await post(usersRoute, "/users", form({ intent: "disable", userId: person.id }))).status).toBe(200);
    expect(await app.db.user.findUniqueOrThrow({ where: { id: person.id } })).toMatchObject({ role: "analyst", disabled: true });
    const login = await post(loginRoute, "/login", { form: { email: "new.person@a.test", password: created.data.oneTimePassword } });
    expect(login.status).toBe(401);

    const self = await app.db.user.findUniqueOrThrow({ where: { email: admin } });
    expect((await post(usersRoute, "/users", form({ intent: "disable", userId: self.id }))).status).toBe(400);
    expect((await post(usersRoute, "/users", form({ intent: "role", userId: self.id, role: "viewer" }))).status).toBe(400);

    const actions = (await app.db.auditLog.findMany({ where: { organizationId: orgA, target: `user:${person.id}` }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["user.create", "user.role_change", "user.disable"]);
  });

  it("shows the audit log of the organization with a chain verification", async () => {
    const page = await get(auditRoute, "/audit?verify=1", { cookie: cookies["admin@a.test"] });
    expect(page.status).toBe(200);
    expect(page.data.verification).toMatchObject({ ok: true });
    expect(page.data.entries.length).toBeGreaterThan(3);
    expect(page.data.entries.every((e: { organizationId: string | null }) => e.organizationId === orgA)).toBe(true);
  });
});

describe("corvid CLI", () => {
  const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const data = tempDir("corvid-cli-");
  const databaseFile = path.join(data.dir, "corvid.db");
  const env = { ...process.env, CORVID_DATA_DIR: data.dir, DATABASE_URL: "" };

  function corvid(...args: string[]) {
    const run = spawnSync(process.execPath, [path.join(consoleDir, "bin/corvid.mjs"), ...args], { cwd: consoleDir, env, encoding: "utf8", timeout: 120_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  beforeAll(async () => {
    await migrate({ url: `file:${databaseFile}` });
    const db = await createDb(`file:${databaseFile}`);
    const organization = await db.organization.create({ data: { name: "Default", slug: "default" } });
    await createUser(db, { organizationId: organization.id, email: "first@corvid.test", role: "admin", actor: { type: "system" } });
    await db.$disconnect();
  });
  afterAll(() => data.remove());

  it("creates a user with a one-time password that logs in", async () => {
    const run = corvid("user", "create", "--email", "cli@corvid.test", "--role", "analyst", "--org", "default");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const password = /one-time password: (\S+)/.exec(run.stdout)?.[1];
    expect(password).toBeTruthy();
    const db = new Database(databaseFile, { readonly: true });
    const user = db.prepare(`SELECT role, mustChangePassword FROM "User" WHERE email = ?`).get("cli@corvid.test");
    db.close();
    expect(user).toEqual({ role: "analyst", mustChangePassword: 1 });
    expect(corvid("user", "create", "--email", "cli@corvid.test", "--role", "analyst")).toMatchObject({ code: 1, stderr: expect.stringMatching(/already exists/) });
    expect(corvid("user", "create", "--role", "analyst")).toMatchObject({ code: 2, stderr: expect.stringMatching(/missing --email/) });
  });

  it("resets a password and creates a deployment token shown once", () => {
    const reset = corvid("user", "reset-password", "--email", "CLI@corvid.test");
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/one-time password: \S{20}/);

    const token = corvid("token", "create", "--org", "default", "--name", "linux fleet", "--expires", "2d", "--max-uses", "5");
    expect(token.code).toBe(0);
    const value = /token: (\S+)/.exec(token.stdout)?.[1];
    expect(value).toBeTruthy();
    const db = new Database(databaseFile, { readonly: true });
    const row = db.prepare(`SELECT name, maxUses, tokenHash, expiresAt FROM "DeploymentToken"`).get() as { name: string; maxUses: number; tokenHash: string; expiresAt: number };
    db.close();
    expect(row).toMatchObject({ name: "linux fleet", maxUses: 5 });
    expect(row.tokenHash).not.toContain(value!);
    expect(corvid("token", "create", "--org", "default", "--name", "x", "--expires", "soon")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--expires must look like/) });
  });

  it("audits every action as system and verifies the chain, failing on an edited entry", () => {
    const ok = corvid("audit", "verify");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit chain ok: 4 entries$/m);
    expect(ok.stdout).toMatch(/^head hash: [0-9a-f]{64}$/m);
    const db = new Database(databaseFile);
    const actions = db.prepare(`SELECT actorType, action FROM "AuditLog" ORDER BY id`).all();
    expect(actions).toEqual([
      { actorType: "system", action: "user.create" },
      { actorType: "system", action: "user.create" },
      { actorType: "system", action: "user.password_reset" },
      { actorType: "system", action: "deployment_token.create" },
      { actorType: "system", action: "audit.verify" },
    ]);
    db.prepare(`UPDATE "AuditLog" SET "actorType" = 'user' WHERE id = 3`).run();
    db.close();
    const broken = corvid("audit", "verify");
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/audit chain BROKEN at entry 3/);
  });
});
