// A static guard: every loader and action of a page route checks the caller with requireUser,
// so a new route cannot silently skip authentication, roles, CSRF and organization scoping.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const routesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../app/routes");

/** Routes reachable without a console session, and why. */
const PUBLIC_ROUTES: [RegExp, string][] = [
  [/^login(_\..*)?\.tsx$/, "the login pages establish the session themselves"],
  [/^api\.responder\.v1\./, "the responder API authenticates responders by signed requests or deployment tokens"],
];

const routeFiles = readdirSync(routesDir).filter((name) => /\.tsx?$/.test(name));

describe("route structure", () => {
  it("finds the route modules", () => {
    expect(routeFiles).toContain("users.tsx");
  });

  it.each(routeFiles.filter((name) => !PUBLIC_ROUTES.some(([pattern]) => pattern.test(name))))("%s calls requireUser in every loader and action", (name) => {
    const source = readFileSync(path.join(routesDir, name), "utf8");
    const handlers = source.match(/export (async )?function (loader|action)\b|export const (loader|action)\b/g) ?? [];
    const checks = source.match(/\brequireUser\(/g) ?? [];
    expect(checks.length).toBeGreaterThanOrEqual(handlers.length);
  });
});
