import type { Db } from "../db.server.ts";
import { audit } from "./audit.server.ts";
import { containsInsensitive } from "./evidence/sql.server.ts";
import { expireOverdueAssignments } from "./tasks.server.ts";

/** The signed-in user an action runs as; every query is scoped by its organization. */
export interface OrgUser {
  id: string;
  organizationId: string;
}

/** Bad form input: the route shows the message next to the form (400), nothing was changed. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/** 404 for anything outside the caller's organization, indistinguishable from "does not exist". */
export function notFoundResponse(what: string): Response {
  return new Response(`${what} not found`, { status: 404, statusText: "Not Found" });
}

export type CaseStatus = "open" | "closed";

export async function listCases(db: Db, organizationId: string, filter: { status?: CaseStatus; q?: string } = {}) {
  const cases = await db.case.findMany({
    where: {
      organizationId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.q ? { name: containsInsensitive(db, filter.q) } : {}),
    },
    orderBy: { createdAt: "desc" },
    take: 500,
    include: {
      createdBy: { select: { email: true, name: true } },
      _count: { select: { tasks: true, evidence: true, notes: true } },
    },
  });
  return cases;
}

export function readCaseInput(form: FormData): { name: string; description: string } {
  const name = String(form.get("name") ?? "").trim();
  const description = String(form.get("description") ?? "").trim();
  if (!name) throw new InputError("A case needs a name.", "name");
  if (name.length > 200) throw new InputError("The name is too long (200 characters at most).", "name");
  if (description.length > 10_000) throw new InputError("The description is too long.", "description");
  return { name, description };
}

export async function createCase(db: Db, user: OrgUser, input: { name: string; description: string }) {
  const created = await db.case.create({
    data: { organizationId: user.organizationId, name: input.name, description: input.description, createdById: user.id },
  });
  await audit(db, {
    organizationId: user.organizationId,
    actorType: "user",
    actorId: user.id,
    action: "case.create",
    target: created.id,
    detail: { name: created.name },
  });
  return created;
}

/** A case with its notes, tasks (per-asset status) and evidence, or null outside the caller's organization. */
export async function getCase(db: Db, organizationId: string, caseId: string, now = new Date()) {
  await expireOverdueAssignments(db, { organizationId, caseId }, now);
  return db.case.findFirst({
    where: { id: caseId, organizationId },
    include: {
      createdBy: { select: { email: true, name: true } },
      notes: { orderBy: { createdAt: "asc" }, include: { author: { select: { email: true, name: true } } } },
      tasks: {
        orderBy: { createdAt: "desc" },
        include: {
          profile: { select: { name: true } },
          createdBy: { select: { email: true } },
          assignments: {
            orderBy: { createdAt: "asc" },
            include: { asset: { select: { id: true, hostname: true, platform: true } } },
          },
        },
      },
      evidence: {
        orderBy: { receivedAt: "desc" },
        include: { asset: { select: { hostname: true } } },
      },
    },
  });
}

export async function addCaseNote(db: Db, user: OrgUser, caseId: string, body: string) {
  const text = body.trim();
  if (!text) throw new InputError("The note is empty.", "body");
  if (text.length > 20_000) throw new InputError("The note is too long.", "body");
  const owned = await db.case.findFirst({ where: { id: caseId, organizationId: user.organizationId }, select: { id: true } });
  if (!owned) return null;
  const note = await db.caseNote.create({ data: { caseId, authorId: user.id, body: text } });
  await audit(db, {
    organizationId: user.organizationId,
    actorType: "user",
    actorId: user.id,
    action: "case.note",
    target: caseId,
    detail: { noteId: note.id },
  });
  return note;
}

export async function setCaseStatus(db: Db, user: OrgUser, caseId: string, status: CaseStatus): Promise<boolean> {
  const { count } = await db.case.updateMany({ where: { id: caseId, organizationId: user.organizationId }, data: { status } });
  if (count === 0) return false;
  await audit(db, {
    organizationId: user.organizationId,
    actorType: "user",
    actorId: user.id,
    action: status === "closed" ? "case.close" : "case.reopen",
    target: caseId,
    detail: {},
  });
  return true;
}
