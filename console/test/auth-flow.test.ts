// Login, one-time link, rate limiting, CSRF, sessions, 2FA and forced 2FA, through the real route
// modules with real Requests, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFirstStart } from "../app/lib/first-start.server.ts";
import { openSecret } from "../app/lib/crypto-box.server.ts";
import { base32ToBytes } from "@corvid/protocol";
import { totp } from "../app/lib/totp.server.ts";
import { requireUser } from "../app/lib/auth.server.ts";
import * as homeRoute from "../app/routes/_index.tsx";
import * as twoFactorSetupRoute from "../app/routes/account.2fa.tsx";
import * as loginRoute from "../app/routes/login.tsx";
import * as twoFactorLoginRoute from "../app/routes/login_.2fa.tsx";
import * as oneTimeRoute from "../app/routes/login_.one-time.tsx";
import * as logoutRoute from "../app/routes/logout.tsx";
import * as settingsRoute from "../app/routes/settings.tsx";
import * as usersRoute from "../app/routes/users.tsx";
import { BASE, type ConsoleUnderTest, get, post, sessionCookie, startConsole } from "./auth-harness.ts";
import { DATABASE_KINDS } from "./helpers/databases.ts";

const ADMIN_EMAIL = "admin@corvid.test";
const ADMIN_PASSWORD = "first admin password";

function currentCode(sealedSecret: string): string {
  return totp(base32ToBytes(openSecret(sealedSecret)), Math.floor(Date.now() / 1000));
}

describe.each(DATABASE_KINDS)("authentication on %s", (_kind, createDatabase) => {
  let app: ConsoleUnderTest;
  let adminCookie: string;

  beforeAll(async () => {
    app = await startConsole(await createDatabase());
  });
  afterAll(async () => {
    await app?.drop();
  });

  it("first start creates the organization and an admin with a one-time link that sets the password once", async () => {
    const first = await ensureFirstStart(app.db, { publicUrl: BASE, adminEmail: ADMIN_EMAIL });
    if (!first.created) throw new Error("expected a first start");
    expect(first.loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:3000\/login\/one-time\?token=[\w-]{43}$/);
    expect((await ensureFirstStart(app.db, { publicUrl: BASE, adminEmail: ADMIN_EMAIL })).created).toBe(false);

    const path = first.loginUrl.slice(BASE.length);
    const token = new URL(first.loginUrl).searchParams.get("token")!;
    const page = await get(oneTimeRoute, path);
    expect(page.status).toBe(200);
    expect(page.data.email).toBe(ADMIN_EMAIL);

    const tooShort = await post(oneTimeRoute, "/login/one-time", { form: { token, password: "short", confirm: "short" } });
    expect(tooShort.status).toBe(400);

    const set = await post(oneTimeRoute, "/login/one-time", { form: { token, password: ADMIN_PASSWORD, confirm: ADMIN_PASSWORD } });
    expect(set.status).toBe(302);
    expect(set.location).toBe("/");
    expect(set.setCookie).toMatch(/HttpOnly/);
    expect(set.setCookie).toMatch(/SameSite=Lax/);
    adminCookie = sessionCookie(set);

    const home = await get(homeRoute, "/", { cookie: adminCookie });
    expect(home.status).toBe(200);
    expect(home.data.email).toBe(ADMIN_EMAIL);

    const reused = await post(oneTimeRoute, "/login/one-time", { form: { token, password: "another password", confirm: "another password" } });
    expect(reused.status).toBe(410);
    expect((await get(oneTimeRoute, path)).status).toBe(410);
  });

  it("sends anonymous visitors to the login page", async () => {
    const home = await get(homeRoute, "/");
    expect(home.status).toBe(302);
    expect(home.location).toBe("/login");
    const users = await get(usersRoute, "/users?x=1");
    expect(users.location).toBe(`/login?redirectTo=${encodeURIComponent("/users?x=1")}`);
  });

  it("logs in with the right password only", async () => {
    const wrong = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: "not the password" }, ip: "198.51.100.1" });
    expect(wrong.status).toBe(401);
    expect(wrong.data.error).toBe("Wrong email or password.");
    const unknown = await post(loginRoute, "/login", { form: { email: "nobody@corvid.test", password: "whatever123" }, ip: "198.51.100.1" });
    expect(unknown.status).toBe(401);
    expect(unknown.data.error).toBe("Wrong email or password.");

    const ok = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD, redirectTo: "/audit" }, ip: "198.51.100.1" });
    expect(ok.status).toBe(302);
    expect(ok.location).toBe("/audit");
    expect((await get(homeRoute, "/", { cookie: sessionCookie(ok) })).status).toBe(200);

    const offsite = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, redirectTo: "//evil.example/" }, ip: "198.51.100.1" });
    expect(offsite.location).toBe("/");
  });

  it("rate-limits failed logins per email and address with 429 and a clear message", async () => {
    const ip = "203.0.113.7";
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const failed = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: `wrong ${attempt}` }, ip });
      expect(failed.status).toBe(401);
    }
    const blocked = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, ip });
    expect(blocked.status).toBe(429);
    expect(blocked.data.error).toMatch(/Too many failed logins.*Try again in 1[45] minutes/);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(800);

    // The same account from another address is not blocked.
    expect((await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, ip: "203.0.113.8" })).status).toBe(302);
    const audited = await app.db.auditLog.findMany({ where: { action: { in: ["user.login_failed", "user.login_blocked"] } } });
    expect(audited.filter((e) => e.action === "user.login_blocked")).toHaveLength(1);
    expect(audited.filter((e) => e.action === "user.login_failed").length).toBeGreaterThanOrEqual(7);
  });

  it("rejects state changes without the session's CSRF token", async () => {
    const { csrfToken } = await requireUser(new Request(`${BASE}/`, { headers: { cookie: adminCookie } }));
    const missing = await post(settingsRoute, "/settings", { cookie: adminCookie, form: { name: "Hijacked" } });
    expect(missing.status).toBe(403);
    expect(missing.data).toMatch(/security token/);
    const wrong = await post(settingsRoute, "/settings", { cookie: adminCookie, form: { name: "Hijacked", csrf: `${csrfToken}x` } });
    expect(wrong.status).toBe(403);
    expect((await app.db.organization.findFirstOrThrow()).name).toBe("Default organization");

    const viaHeader = await post(settingsRoute, "/settings", { cookie: adminCookie, form: { name: "Renamed org" }, headers: { "x-csrf-token": csrfToken } });
    expect(viaHeader.status).toBe(200);
    expect((await app.db.organization.findFirstOrThrow()).name).toBe("Renamed org");
  });

  it("sets up TOTP 2FA and then asks for a code at login", async () => {
    const { csrfToken } = await requireUser(new Request(`${BASE}/`, { headers: { cookie: adminCookie } }));
    const setup = await get(twoFactorSetupRoute, "/account/2fa", { cookie: adminCookie });
    expect(setup.data.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.data.uri).toContain(`secret=${setup.data.secret}`);
    // Reloading shows the same pending secret.
    expect((await get(twoFactorSetupRoute, "/account/2fa", { cookie: adminCookie })).data.secret).toBe(setup.data.secret);

    const badCode = await post(twoFactorSetupRoute, "/account/2fa", { cookie: adminCookie, form: { csrf: csrfToken, intent: "enable", code: "000000" } });
    expect(badCode.status).toBe(400);
    const admin = await app.db.user.findUniqueOrThrow({ where: { email: ADMIN_EMAIL } });
    const enabled = await post(twoFactorSetupRoute, "/account/2fa", { cookie: adminCookie, form: { csrf: csrfToken, intent: "enable", code: currentCode(admin.totpSecretEnc!) } });
    expect(enabled.status).toBe(302);
    expect((await app.db.user.findUniqueOrThrow({ where: { email: ADMIN_EMAIL } })).totpEnabled).toBe(true);

    const login = await post(loginRoute, "/login", { form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, ip: "198.51.100.2" });
    expect(login.location).toBe("/login/2fa?redirectTo=%2F");
    const pendingCookie = sessionCookie(login);
    const notYet = await get(homeRoute, "/", { cookie: pendingCookie });
    expect(notYet.location).toBe("/login/2fa");

    const pendingCsrf = (await get(twoFactorLoginRoute, "/login/2fa", { cookie: pendingCookie })).data.csrfToken;
    const wrongCode = await post(twoFactorLoginRoute, "/login/2fa", { cookie: pendingCookie, form: { csrf: pendingCsrf, code: "123456" === currentCode(admin.totpSecretEnc!) ? "654321" : "123456" } });
    expect(wrongCode.status).toBe(401);
    const verified = await post(twoFactorLoginRoute, "/login/2fa", { cookie: pendingCookie, form: { csrf: pendingCsrf, code: currentCode(admin.totpSecretEnc!), redirectTo: "/" } });
    expect(verified.status).toBe(302);
    expect((await get(homeRoute, "/", { cookie: pendingCookie })).status).toBe(200);
  });

  it("sends users without 2FA to the setup page when the organization requires it", async () => {
    const { csrfToken } = await requireUser(new Request(`${BASE}/`, { headers: { cookie: adminCookie } }));
    const created = await post(usersRoute, "/users", { cookie: adminCookie, form: { csrf: csrfToken, intent: "create", email: "analyst@corvid.test", role: "analyst" } });
    expect(created.status).toBe(200);
    const oneTimePassword: string = created.data.oneTimePassword;
    expect(oneTimePassword.length).toBeGreaterThanOrEqual(16);

    const saved = await post(settingsRoute, "/settings", { cookie: adminCookie, form: { csrf: csrfToken, name: "Renamed org", require2fa: "on" } });
    expect(saved.status).toBe(200);

    const login = await post(loginRoute, "/login", { form: { email: "analyst@corvid.test", password: oneTimePassword }, ip: "198.51.100.3" });
    const analystCookie = sessionCookie(login);
    // First the forced password change, which is allowed before 2FA setup…
    expect((await get(homeRoute, "/", { cookie: analystCookie })).location).toBe("/account/password");
    await app.db.user.update({ where: { email: "analyst@corvid.test" }, data: { mustChangePassword: false } });
    // …then 2FA setup.
    expect((await get(homeRoute, "/", { cookie: analystCookie })).location).toBe("/account/2fa");
    expect((await get(twoFactorSetupRoute, "/account/2fa", { cookie: analystCookie })).status).toBe(200);
  });

  it("logs out with a POST carrying the CSRF token and ends the session", async () => {
    const { csrfToken } = await requireUser(new Request(`${BASE}/`, { headers: { cookie: adminCookie } }));
    expect((await post(logoutRoute, "/logout", { cookie: adminCookie })).status).toBe(403);
    const out = await post(logoutRoute, "/logout", { cookie: adminCookie, form: { csrf: csrfToken } });
    expect(out.location).toBe("/login");
    expect(out.setCookie).toMatch(/Max-Age=0/);
    expect((await get(homeRoute, "/", { cookie: adminCookie })).location).toBe("/login");
  });
});
