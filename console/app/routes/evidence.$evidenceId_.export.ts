import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "../lib/auth.server.ts";
import { notFoundResponse } from "../lib/cases.server.ts";
import { evidenceExportResponse, getEvidence } from "../lib/evidence/evidence.server.ts";
import { evidenceColumns, parseTableQuery } from "../lib/evidence/table.server.ts";

/** GET /evidence/:evidenceId/export?format=csv|jsonl plus the table view's sort and filters (audited). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId, user } = await requireUser(request);
  const evidence = await getEvidence(db, organizationId, params.evidenceId ?? "");
  if (!evidence || evidence.kind !== "table") throw notFoundResponse("Table evidence");
  const search = new URL(request.url).searchParams;
  const format = search.get("format") === "jsonl" ? "jsonl" : "csv";
  return evidenceExportResponse(db, user, evidence, parseTableQuery(search, evidenceColumns(evidence)), format);
}
