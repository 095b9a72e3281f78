import { ArtifactColumn } from "@corvid/protocol";
import { z } from "zod";
import { providerOfDb, type Db } from "../../db.server.ts";

/**
 * Paging, sorting and per-column filtering of an ingested table artifact, done in SQL on the JSON rows
 * (SQLite `json_extract`, PostgreSQL `jsonb ->>`). Column names only ever come from the evidence's own
 * column list and travel as bound parameters, never spliced into the SQL text.
 */
export const PAGE_SIZES = [25, 50, 100, 250, 500] as const;
export const DEFAULT_PAGE_SIZE = 50;

const StoredColumns = z.array(ArtifactColumn);

export function evidenceColumns(evidence: { columns: string }): ArtifactColumn[] {
  try {
    return StoredColumns.parse(JSON.parse(evidence.columns));
  } catch {
    return [];
  }
}

export interface TableQuery {
  page: number;
  pageSize: number;
  sort?: string;
  dir: "asc" | "desc";
  /** column name → case-insensitive substring */
  filters: Record<string, string>;
  /** substring anywhere in the row */
  q?: string;
}

/** Reads `page`, `size`, `sort`, `dir`, `q` and `f.<column>` from the URL, ignoring unknown columns. */
export function parseTableQuery(params: URLSearchParams, columns: readonly ArtifactColumn[]): TableQuery {
  const names = new Set(columns.map((column) => column.name));
  const page = Math.max(1, Math.floor(Number(params.get("page")) || 1));
  const size = Number(params.get("size"));
  const sort = params.get("sort") ?? undefined;
  const filters: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key.startsWith("f.") && names.has(key.slice(2)) && value.trim()) filters[key.slice(2)] = value.trim();
  }
  return {
    page,
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
    sort: sort && names.has(sort) ? sort : undefined,
    dir: params.get("dir") === "desc" ? "desc" : "asc",
    filters,
    q: params.get("q")?.trim() || undefined,
  };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Builds the WHERE / ORDER BY parts with provider-specific JSON access and numbered or positional parameters. */
function buildSql(
  db: Db,
  evidenceId: string,
  columns: readonly ArtifactColumn[],
  query: Omit<TableQuery, "page" | "pageSize">,
  ordered: boolean,
) {
  const postgres = providerOfDb(db) === "postgresql";
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return postgres ? `$${params.length}` : "?";
  };
  // The path/key is itself a bound parameter.
  const text = (column: string) =>
    postgres ? `(("data"::jsonb) ->> ${param(column)})` : `CAST(json_extract("data", ${param(`$."${column}"`)}) AS TEXT)`;
  const numeric = (column: string) =>
    postgres
      ? `(CASE WHEN jsonb_typeof(("data"::jsonb) -> ${param(column)}) = 'number' THEN (("data"::jsonb) ->> ${param(column)})::numeric END)`
      : `json_extract("data", ${param(`$."${column}"`)})`;
  const like = postgres ? "ILIKE" : "LIKE";

  const conditions = [`"evidenceId" = ${param(evidenceId)}`];
  for (const [column, value] of Object.entries(query.filters)) {
    conditions.push(`${text(column)} ${like} ${param(`%${escapeLike(value)}%`)} ESCAPE '\\'`);
  }
  if (query.q) conditions.push(`"data" ${like} ${param(`%${escapeLike(query.q)}%`)} ESCAPE '\\'`);
  const where = conditions.join(" AND ");

  let orderBy = `"rowIndex" ASC`;
  // Parameters are positional: the ORDER BY ones may only be added when the ORDER BY is used.
  if (ordered && query.sort) {
    const type = columns.find((column) => column.name === query.sort)?.type;
    const expression = type === "int" || type === "float" ? numeric(query.sort) : text(query.sort);
    const direction = query.dir === "desc" ? "DESC" : "ASC";
    orderBy = `${expression} ${direction} ${postgres ? "NULLS LAST" : ""}, "rowIndex" ASC`;
  }
  return { where, orderBy, params, param };
}

export interface TablePage {
  rows: Record<string, unknown>[];
  total: number;
  page: number;
  pageCount: number;
}

export async function queryEvidenceRows(
  db: Db,
  evidence: { id: string; columns: string },
  query: TableQuery,
): Promise<TablePage> {
  const columns = evidenceColumns(evidence);
  const counted = buildSql(db, evidence.id, columns, query, false);
  const [{ total }] = await db.$queryRawUnsafe<{ total: bigint | number }[]>(
    `SELECT COUNT(*) AS total FROM "EvidenceRow" WHERE ${counted.where}`,
    ...counted.params,
  );
  const totalRows = Number(total);
  const pageCount = Math.max(1, Math.ceil(totalRows / query.pageSize));
  const page = Math.min(query.page, pageCount);
  const rows = await selectRows(db, evidence.id, columns, query, query.pageSize, (page - 1) * query.pageSize);
  return { rows, total: totalRows, page, pageCount };
}

async function selectRows(
  db: Db,
  evidenceId: string,
  columns: readonly ArtifactColumn[],
  query: Omit<TableQuery, "page" | "pageSize">,
  limit: number,
  offset: number,
): Promise<Record<string, unknown>[]> {
  const sql = buildSql(db, evidenceId, columns, query, true);
  const found = await db.$queryRawUnsafe<{ data: string }[]>(
    `SELECT "data" FROM "EvidenceRow" WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT ${sql.param(limit)} OFFSET ${sql.param(offset)}`,
    ...sql.params,
  );
  return found.map((row) => JSON.parse(row.data) as Record<string, unknown>);
}

export type ExportFormat = "csv" | "jsonl";
const EXPORT_BATCH_ROWS = 1000;

/** One CSV field (RFC 4180): quoted when needed; objects are written as JSON. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  // A leading =, +, - or @ would run as a formula when the CSV is opened in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Streams the filtered, sorted table as CSV (header = column names) or JSONL, reading the rows in batches. */
export function exportEvidenceRows(
  db: Db,
  evidence: { id: string; columns: string },
  query: Omit<TableQuery, "page" | "pageSize">,
  format: ExportFormat,
): ReadableStream<Uint8Array> {
  const columns = evidenceColumns(evidence);
  const names = columns.map((column) => column.name);
  const encoder = new TextEncoder();
  let offset = 0;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (format === "csv" && !headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(names.map(csvField).join(",") + "\r\n"));
          return;
        }
        const rows = await selectRows(db, evidence.id, columns, query, EXPORT_BATCH_ROWS, offset);
        offset += rows.length;
        if (rows.length === 0) return controller.close();
        const text =
          format === "csv"
            ? rows.map((row) => names.map((name) => csvField(row[name])).join(",") + "\r\n").join("")
            : rows.map((row) => JSON.stringify(row) + "\n").join("");
        controller.enqueue(encoder.encode(text));
      } catch (error) {
        controller.error(error);
      }
    },
  });
}
