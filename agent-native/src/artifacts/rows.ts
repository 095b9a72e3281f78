import type { ArtifactColumn, ColumnType } from "@corvid/protocol";
import type { Row } from "../sources/source.ts";

/** A source produced a row its artifact's columns do not describe: a bug in the source or the definition. */
export class RowShapeError extends Error {
  constructor(artifact: string, message: string) {
    super(`${artifact}: ${message}`);
    this.name = "RowShapeError";
  }
}

const TYPE_CHECKS: Record<ColumnType, (value: unknown) => boolean> = {
  string: (value) => typeof value === "string",
  int: (value) => typeof value === "number" && Number.isSafeInteger(value),
  float: (value) => typeof value === "number" && Number.isFinite(value),
  bool: (value) => typeof value === "boolean",
  timestamp: (value) => typeof value === "string" && !Number.isNaN(Date.parse(value)),
  json: () => true,
};

/**
 * Orders a row by the artifact's columns, fills absent columns with null and checks every value's type,
 * so each JSONL line has exactly the keys the console's table expects.
 */
export function conformRow(artifact: string, columns: readonly ArtifactColumn[], row: Row): Row {
  const known = new Set(columns.map((column) => column.name));
  const extra = Object.keys(row).find((key) => !known.has(key));
  if (extra !== undefined) throw new RowShapeError(artifact, `row has column ${JSON.stringify(extra)} that the definition does not declare`);
  const conformed: Row = {};
  for (const column of columns) {
    const value = row[column.name] ?? null;
    if (value !== null && !TYPE_CHECKS[column.type](value)) {
      throw new RowShapeError(artifact, `column ${column.name} expects ${column.type}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    }
    conformed[column.name] = value;
  }
  return conformed;
}
