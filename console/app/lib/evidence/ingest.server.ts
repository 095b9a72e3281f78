import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Db } from "../../db.server.ts";

/** Rows are inserted in batches: one INSERT per row would make large tables slow, one giant INSERT would hit parameter limits. */
export const INGEST_BATCH_ROWS = 500;

export class TableIngestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TableIngestError";
  }
}

/**
 * Streams a stored JSONL table into EvidenceRow (one JSON object per line; blank lines are skipped).
 * Re-running it for the same evidence replaces the rows, so an interrupted ingest can simply be repeated.
 * Returns the number of rows.
 */
export async function ingestTableRows(db: Db, evidenceId: string, file: string): Promise<number> {
  await db.evidenceRow.deleteMany({ where: { evidenceId } });
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let batch: { evidenceId: string; rowIndex: number; data: string }[] = [];
  let rowIndex = 0;
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (!line.trim()) continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new TableIngestError(`line ${lineNumber} is not JSON`);
      }
      if (typeof row !== "object" || row === null || Array.isArray(row)) {
        throw new TableIngestError(`line ${lineNumber} is not a JSON object`);
      }
      batch.push({ evidenceId, rowIndex: rowIndex++, data: JSON.stringify(row) });
      if (batch.length >= INGEST_BATCH_ROWS) {
        await db.evidenceRow.createMany({ data: batch });
        batch = [];
      }
    }
  } finally {
    lines.close();
  }
  if (batch.length) await db.evidenceRow.createMany({ data: batch });
  return rowIndex;
}
