// Asset listing (online/offline, search, filters, sorting), detail scoping, tags and revocation on SQLite and PostgreSQL.
import { ErrorBody, responderPaths } from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAsset, listAssets, parseAssetListQuery, revokeAsset, setAssetTags } from "../app/lib/assets.server.ts";
import { handleCheckin } from "../app/lib/responder/checkin.server.ts";
import {
  DATABASE_KINDS,
  call,
  enroll,
  issueToken,
  openTestEnvironment,
  sampleFacts,
  seedOrganization,
  type SeededOrganization,
  type TestEnvironment,
  type TestResponder,
} from "./helpers/responder-fixtures.ts";

describe.each(DATABASE_KINDS)("assets on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let org: SeededOrganization;
  let other: SeededOrganization;
  const responders: Record<string, TestResponder> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    org = await seedOrganization(env.db, "assets-org");
    other = await seedOrganization(env.db, "assets-other");
    const token = await issueToken(env.db, org, { tags: ["fleet"] });
    responders.web = await enroll(env.ctx, token, sampleFacts("web-01", { tags: ["dmz"], agentVersion: "0.3.0" }));
    responders.db = await enroll(env.ctx, token, sampleFacts("db-01", { ips: ["10.9.8.7"] }));
    responders.mac = await enroll(env.ctx, token, sampleFacts("mac-01", { platform: "darwin", os: { name: "macOS", version: "14" } }));
    responders.foreign = await enroll(env.ctx, await issueToken(env.db, other), sampleFacts("web-foreign"));
    for (const [name, responder] of Object.entries(responders)) {
      ids[name] = (await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } })).id;
    }
    // db-01 was last heard from an hour ago.
    await env.db.asset.update({ where: { id: ids.db }, data: { lastSeenAt: new Date(Date.now() - 3600_000) } });
  });
  afterAll(async () => env?.close());

  const hostnames = async (search: string) =>
    (await listAssets(env.db, org.id, parseAssetListQuery(new URLSearchParams(search)))).assets.map((asset) => asset.hostname);

  it("lists only the organization's assets with online state, tags and platforms", async () => {
    const { assets, platforms, assetCount } = await listAssets(env.db, org.id);
    expect(assets.map((asset) => asset.hostname)).toEqual(["db-01", "mac-01", "web-01"]);
    expect(assetCount).toBe(3);
    expect(platforms).toEqual(["darwin", "linux"]);
    const byName = Object.fromEntries(assets.map((asset) => [asset.hostname, asset]));
    expect(byName["web-01"]).toMatchObject({ online: true, tags: ["dmz", "fleet"], agentVersion: "0.3.0" });
    expect(byName["db-01"]).toMatchObject({ online: false, ips: ["10.9.8.7"] });
  });

  it("searches case-insensitively and filters by status, platform and tag", async () => {
    expect(await hostnames("q=WEB-0")).toEqual(["web-01"]);
    expect(await hostnames("q=10.9.8")).toEqual(["db-01"]);
    expect(await hostnames("q=MACOS"), "macOS only").toEqual(["mac-01"]);
    expect(await hostnames("status=offline")).toEqual(["db-01"]);
    expect(await hostnames("status=online")).toEqual(["mac-01", "web-01"]);
    expect(await hostnames("platform=darwin")).toEqual(["mac-01"]);
    expect(await hostnames("tag=dmz")).toEqual(["web-01"]);
    expect(await hostnames("tag=fleet&platform=linux")).toEqual(["db-01", "web-01"]);
    expect(await hostnames("sort=lastSeenAt&dir=asc")).toEqual(expect.arrayContaining(["db-01"]));
    expect((await hostnames("sort=lastSeenAt&dir=asc"))[0]).toBe("db-01");
    expect(await hostnames("sort=hostname&dir=desc&status=online")).toEqual(["web-01", "mac-01"]);
    // Unknown sort columns and statuses are ignored rather than reaching the query.
    expect(parseAssetListQuery(new URLSearchParams("sort=passwordHash&status=bogus"))).toMatchObject({ sort: undefined, status: undefined });
  });

  it("pages the list", async () => {
    const second = await listAssets(env.db, org.id, { ...parseAssetListQuery(new URLSearchParams("page=2")), pageSize: 2 });
    expect(second).toMatchObject({ total: 3, page: 2, pageCount: 2 });
    expect(second.assets.map((asset) => asset.hostname)).toEqual(["web-01"]);
    const beyond = await listAssets(env.db, org.id, { ...parseAssetListQuery(new URLSearchParams("page=99")), pageSize: 2 });
    expect(beyond.page).toBe(2);
  });

  it("shows an asset only inside its organization", async () => {
    expect(await getAsset(env.db, org.id, ids.web!)).toMatchObject({ hostname: "web-01", online: true, facts: { hostname: "web-01" } });
    expect(await getAsset(env.db, org.id, ids.foreign!)).toBeNull();
    expect(await getAsset(env.db, other.id, ids.web!)).toBeNull();
  });

  it("saves tags within the organization only", async () => {
    expect(await setAssetTags(env.db, org.id, ids.web!, ["prod", " dmz ", "", "prod"], org.analyst.id)).toBe(true);
    expect((await getAsset(env.db, org.id, ids.web!))!.tags).toEqual(["dmz", "prod"]);
    expect(await setAssetTags(env.db, org.id, ids.foreign!, ["x"], org.analyst.id)).toBe(false);
    expect(JSON.parse((await env.db.asset.findUniqueOrThrow({ where: { id: ids.foreign! } })).tags)).toEqual([]);
  });

  it("revokes a responder: audited, shown as revoked, and its next check-in answers 410", async () => {
    expect(await revokeAsset(env.db, other.id, ids.mac!, other.admin.id)).toBe(false);
    expect(await revokeAsset(env.db, org.id, ids.mac!, org.admin.id)).toBe(true);
    expect(await revokeAsset(env.db, org.id, ids.mac!, org.admin.id)).toBe(false);
    expect(await hostnames("status=revoked")).toEqual(["mac-01"]);
    expect(await env.db.auditLog.count({ where: { action: "responder.revoke", target: ids.mac!, actorId: org.admin.id } })).toBe(1);
    const mac = responders.mac!;
    const response = await call(async () => handleCheckin(env.ctx, await mac.signed("POST", responderPaths.checkin, mac.checkinBody([], sampleFacts("mac-01")))));
    expect(response.status).toBe(410);
    expect(ErrorBody.parse(await response.json()).error.code).toBe("reenroll");
  });

  it("shows a Chrome responder as a browser asset with its Chrome version, profile email and ChromeOS device ID", async () => {
    const fleet = await seedOrganization(env.db, "assets-chromeos");
    const browser = { name: "Chrome", version: "131.0.6778.85", extensionId: "a".repeat(32), extensionVersion: "0.1.0", managed: true, profileEmail: "ana@example.org", deviceId: "5e1f0e7c-directory-id" };
    const facts = sampleFacts("chromebook-7", { platform: "chromeos", os: { name: "ChromeOS", version: "16093.57.0" }, machineId: browser.deviceId, browser });
    const responder = await enroll(env.ctx, await issueToken(env.db, fleet), facts, "browser");
    const listed = (await listAssets(env.db, fleet.id)).assets;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ kind: "browser", platform: "chromeos", browser: { name: "Chrome", version: "131.0.6778.85" } });
    const asset = await env.db.asset.findUniqueOrThrow({ where: { responderId: responder.responderId } });
    const detail = await getAsset(env.db, fleet.id, asset.id);
    expect(detail?.facts.browser).toMatchObject({ profileEmail: "ana@example.org", deviceId: "5e1f0e7c-directory-id", managed: true });
    expect(detail?.facts.machineId).toBe("5e1f0e7c-directory-id");
  });
});
