// The real thing end to end over HTTPS: build the app, start server.js with TLS on a fresh data
// directory, follow the first-start link printed on stdout, and use the session over real HTTP.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { X509Certificate, createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/databases.ts";

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const buildDir = path.join(consoleDir, ".cache", `test-build-${randomBytes(4).toString("hex")}`);

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("server.js over HTTPS", () => {
  const data = tempDir("corvid-server-");
  let server: ChildProcess;
  let stdout = "";
  let ca = "";

  function request(url: string, init: { method?: string; cookie?: string; form?: Record<string, string>; origin?: string } = {}): Promise<HttpResult> {
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const headers: Record<string, string> = {};
    if (init.cookie) headers.cookie = init.cookie;
    if (body) headers["content-type"] = "application/x-www-form-urlencoded";
    if (init.origin) headers.origin = init.origin;
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: init.method ?? "GET", headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(consoleDir, "../node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], {
      cwd: consoleDir,
      env: { ...process.env, CORVID_BUILD_DIR: buildDir },
      stdio: "ignore",
    });
    server = spawn(process.execPath, ["server.js"], {
      cwd: consoleDir,
      env: { ...process.env, CORVID_BUILD_DIR: buildDir, CORVID_DATA_DIR: data.dir, DATABASE_URL: "", CORVID_SECRET_KEY: "", CORVID_TLS: "1", HOST: "127.0.0.1", PORT: "0", CORVID_ADMIN_EMAIL: "root@corvid.test" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/log in at https:\/\//.test(stdout)) {
          clearInterval(timer);
          resolve();
        } else if (server.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`server.js exited: ${stdout}`));
        }
      }, 100);
    });
    ca = readFileSync(path.join(data.dir, "tls", "ca.crt"), "utf8");
  }, 300_000);

  afterAll(() => {
    server?.kill("SIGTERM");
    data.remove();
    rmSync(buildDir, { recursive: true, force: true });
  });

  it("prints the first-start link and the CA fingerprint responders pin", () => {
    expect(stdout).toMatch(/created organization "default" and administrator root@corvid\.test/);
    expect(stdout).toMatch(/^login link: https:\/\/127\.0\.0\.1:\d+\/login\/one-time\?token=[\w-]{43}$/m);
    const printed = /CA fingerprint \(sha256\) ([0-9a-f]{64})/.exec(stdout)?.[1];
    expect(printed).toBe(createHash("sha256").update(new X509Certificate(ca).raw).digest("hex"));
  });

  it("logs the administrator in through the one-time link and protects forms with CSRF", async () => {
    const link = /^login link: (\S+)$/m.exec(stdout)![1]!;
    const origin = new URL(link).origin;
    const page = await request(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Set your password");
    expect(page.headers["x-frame-options"]).toBe("DENY");

    const token = new URL(link).searchParams.get("token")!;
    const crossSite = await request(`${origin}/login/one-time`, { method: "POST", origin: "https://evil.example", form: { token, password: "root password 1", confirm: "root password 1" } });
    // Remix itself aborts cross-origin document actions (with a 500); the link stays unused.
    expect(crossSite.status).toBeGreaterThanOrEqual(400);
    expect((await request(link)).status).toBe(200);

    const set = await request(`${origin}/login/one-time`, { method: "POST", origin, form: { token, password: "root password 1", confirm: "root password 1" } });
    expect(set.status).toBe(302);
    const setCookie = String(set.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    const cookie = /corvid_session=[^;]+/.exec(setCookie)![0];

    const home = await request(`${origin}/`, { cookie });
    expect(home.status).toBe(200);
    expect(home.body).toContain("Overview");
    expect(home.body).toContain("root@corvid.test");
    // The Deployment page gives the fingerprint for the agent's install command and for the extension's policy.
    const fingerprint = createHash("sha256").update(new X509Certificate(ca).raw).digest("hex");
    const deployment = await request(`${origin}/deployment`, { cookie });
    expect(deployment.body).toContain(`--ca-fingerprint ${fingerprint}`);
    expect(deployment.body).toMatch(new RegExp(`data-testid="extension-pin"[^]*?<code>${fingerprint}</code>`));

    const noCsrf = await request(`${origin}/users`, { method: "POST", cookie, origin, form: { intent: "create", email: "x@corvid.test", role: "viewer" } });
    expect(noCsrf.status).toBe(403);
    const csrf = /name="csrf" value="([^"]+)"/.exec(home.body)![1]!;
    const created = await request(`${origin}/users`, { method: "POST", cookie, origin, form: { csrf, intent: "create", email: "x@corvid.test", role: "viewer" } });
    expect(created.status).toBe(200);
    expect(created.body).toContain("one-time password");

    const wrong = await request(`${origin}/login`, { method: "POST", origin, form: { email: "root@corvid.test", password: "nope nope nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain("Wrong email or password.");
  });
});
