// The audit log's hash chain: intact after many (also concurrent) appends, and an edited or a
// deleted row is reported at the right entry, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, canonicalJson, verifyAuditChain } from "../app/lib/audit.server.ts";
import { type ConsoleUnderTest, startConsole } from "./auth-harness.ts";
import { DATABASE_KINDS } from "./helpers/databases.ts";

describe("canonical JSON", () => {
  it("sorts keys at every level and drops undefined values", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe.each(DATABASE_KINDS)("audit chain on %s", (_kind, createDatabase) => {
  let app: ConsoleUnderTest;

  beforeAll(async () => {
    app = await startConsole(await createDatabase());
  });
  afterAll(async () => {
    await app?.drop();
  });

  async function appendEntries(count: number): Promise<number[]> {
    for (let i = 0; i < count; i += 1) {
      await audit(app.db, { organizationId: "org-test", actorType: "user", actorId: "u1", action: "case.create", target: `case:${i}`, detail: { name: `case ${i}`, nested: { i } } });
    }
    const rows = await app.db.auditLog.findMany({ orderBy: { id: "asc" }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  it("stays intact under concurrent appends", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => audit(app.db, { actorType: "responder", actorId: `r_${i}`, action: "asset.enroll", detail: { i } })));
    const result = await verifyAuditChain(app.db);
    const rows = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(result).toEqual({ ok: true, entries: 20, headHash: rows[19]!.hash });
    expect(rows[0]!.prevHash).toBe("0".repeat(64));
    rows.slice(1).forEach((row, i) => expect(row.prevHash).toBe(rows[i]!.hash));
  });

  it("detects an edited row", async () => {
    const ids = await appendEntries(5);
    const victim = ids[ids.length - 3]!;
    await app.db.auditLog.update({ where: { id: victim }, data: { detail: '{"name":"innocent"}' } });
    const result = await verifyAuditChain(app.db);
    expect(result).toMatchObject({ ok: false, brokenId: victim, reason: expect.stringMatching(/edited/) });
    // Repair it for the next test by deleting everything after the chain's intact part.
    await app.db.auditLog.deleteMany({ where: { id: { gte: victim } } });
    expect((await verifyAuditChain(app.db)).ok).toBe(true);
  });

  it("detects a deleted row", async () => {
    const ids = await appendEntries(4);
    const deleted = ids[ids.length - 2]!;
    await app.db.auditLog.delete({ where: { id: deleted } });
    const result = await verifyAuditChain(app.db);
    expect(result).toMatchObject({ ok: false, brokenId: ids[ids.length - 1], reason: expect.stringMatching(/deleted/) });
  });
});
