import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Db } from "../../db.server.ts";
import { audit } from "../audit.server.ts";
import type { OrgUser } from "../cases.server.ts";
import { blobPath, evidenceStore } from "./store.server.ts";
import { exportEvidenceRows, type ExportFormat, type TableQuery } from "./table.server.ts";

/** Evidence with everything the chain-of-custody panel shows, or null outside the caller's organization. */
export async function getEvidence(db: Db, organizationId: string, evidenceId: string) {
  return db.evidence.findFirst({
    where: { id: evidenceId, organizationId },
    include: {
      case: { select: { id: true, name: true } },
      task: { select: { id: true, createdAt: true, createdBy: { select: { email: true, name: true } } } },
      asset: { select: { id: true, hostname: true, responderId: true, platform: true } },
      requestedBy: { select: { email: true, name: true } },
      upload: { select: { sourcePath: true, chunkCount: true, chunkSize: true, createdAt: true, completedAt: true } },
    },
  });
}

export type EvidenceRecord = NonNullable<Awaited<ReturnType<typeof getEvidence>>>;

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_").replace(/[/]/g, "_") || "evidence";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename.replace(/[/\\]/g, "_"))}`;
}

/** The stored blob as a download, with its SHA-256 in `x-corvid-sha256`; the download is audited. */
export async function evidenceDownloadResponse(db: Db, dataDir: string, user: OrgUser, evidence: EvidenceRecord): Promise<Response> {
  const file = blobPath(evidenceStore(dataDir), evidence.sha256);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return new Response("The evidence file is missing from the data directory.", { status: 410 });
  }
  await audit(db, {
    organizationId: user.organizationId,
    actorType: "user",
    actorId: user.id,
    action: "evidence.download",
    target: evidence.id,
    detail: { sha256: evidence.sha256, name: evidence.name },
  });
  return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, {
    headers: {
      "content-type": evidence.kind === "table" ? "application/x-ndjson" : "application/octet-stream",
      "content-length": String(size),
      "content-disposition": contentDisposition(evidence.name),
      "x-corvid-sha256": evidence.sha256,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    },
  });
}

/** The (filtered, sorted) table as CSV or JSONL; the export is audited. */
export async function evidenceExportResponse(
  db: Db,
  user: OrgUser,
  evidence: EvidenceRecord,
  query: Omit<TableQuery, "page" | "pageSize">,
  format: ExportFormat,
): Promise<Response> {
  await audit(db, {
    organizationId: user.organizationId,
    actorType: "user",
    actorId: user.id,
    action: "evidence.export",
    target: evidence.id,
    detail: { format, filters: query.filters, q: query.q ?? null, sort: query.sort ?? null },
  });
  const base = `${evidence.artifact}-${evidence.asset.hostname}-${evidence.id}`;
  return new Response(exportEvidenceRows(db, evidence, query, format), {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": contentDisposition(`${base}.${format}`),
      "cache-control": "private, no-store",
    },
  });
}
