import type { LoaderFunctionArgs } from "@remix-run/node";
import { resolveDataDir } from "../../db/config.js";
import { requireUser } from "../lib/auth.server.ts";
import { notFoundResponse } from "../lib/cases.server.ts";
import { evidenceDownloadResponse, getEvidence } from "../lib/evidence/evidence.server.ts";

/** GET /evidence/:evidenceId/download: the raw stored bytes with `x-corvid-sha256` (audited). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { db, organizationId, user } = await requireUser(request);
  const evidence = await getEvidence(db, organizationId, params.evidenceId ?? "");
  if (!evidence) throw notFoundResponse("Evidence");
  return evidenceDownloadResponse(db, resolveDataDir(process.env), user, evidence);
}
