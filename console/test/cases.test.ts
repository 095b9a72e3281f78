// Cases: create, list and search, notes, close/reopen, and organization scoping on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, addCaseNote, createCase, getCase, listCases, readCaseInput, setCaseStatus } from "../app/lib/cases.server.ts";
import { DATABASE_KINDS, openTestEnvironment, seedOrganization, type SeededOrganization, type TestEnvironment } from "./helpers/responder-fixtures.ts";

describe.each(DATABASE_KINDS)("cases on %s", (_kind, createDatabase) => {
  let env: TestEnvironment;
  let org: SeededOrganization;
  let other: SeededOrganization;

  beforeAll(async () => {
    env = await openTestEnvironment(createDatabase);
    org = await seedOrganization(env.db, "cases-org");
    other = await seedOrganization(env.db, "cases-other");
  });
  afterAll(async () => env?.close());

  it("validates the case form", () => {
    const form = (fields: Record<string, string>) => {
      const data = new FormData();
      for (const [key, value] of Object.entries(fields)) data.append(key, value);
      return data;
    };
    expect(readCaseInput(form({ name: "  Phishing wave ", description: " d " }))).toEqual({ name: "Phishing wave", description: "d" });
    expect(() => readCaseInput(form({ name: "   " }))).toThrow(InputError);
    expect(() => readCaseInput(form({ name: "x".repeat(201) }))).toThrow(/too long/);
  });

  it("creates, searches (ignoring case), annotates, closes and reopens a case, all audited", async () => {
    const created = await createCase(env.db, org.analyst, { name: "Ransomware on FILESRV", description: "encrypted shares" });
    await createCase(env.db, other.analyst, { name: "Ransomware elsewhere", description: "" });
    expect((await listCases(env.db, org.id, { q: "ransomware" })).map((c) => c.name)).toEqual(["Ransomware on FILESRV"]);
    expect((await listCases(env.db, org.id, { q: "filesrv" })).map((c) => c.id)).toEqual([created.id]);

    expect(await addCaseNote(env.db, org.analyst, created.id, "  first triage done  ")).toMatchObject({ body: "first triage done" });
    await expect(addCaseNote(env.db, org.analyst, created.id, "   ")).rejects.toThrow(InputError);
    expect(await addCaseNote(env.db, other.analyst, created.id, "intrusion")).toBeNull();

    expect(await setCaseStatus(env.db, org.analyst, created.id, "closed")).toBe(true);
    expect((await listCases(env.db, org.id, { status: "open" })).map((c) => c.id)).not.toContain(created.id);
    expect((await listCases(env.db, org.id, { status: "closed" })).map((c) => c.id)).toEqual([created.id]);
    expect(await setCaseStatus(env.db, other.analyst, created.id, "open")).toBe(false);
    expect(await setCaseStatus(env.db, org.analyst, created.id, "open")).toBe(true);

    const detail = await getCase(env.db, org.id, created.id);
    expect(detail).toMatchObject({ status: "open", notes: [{ body: "first triage done" }], tasks: [], evidence: [] });
    expect(await getCase(env.db, other.id, created.id)).toBeNull();
    const actions = (await env.db.auditLog.findMany({ where: { target: created.id }, orderBy: { id: "asc" } })).map((entry) => entry.action);
    expect(actions).toEqual(["case.create", "case.note", "case.close", "case.reopen"]);
  });
});
