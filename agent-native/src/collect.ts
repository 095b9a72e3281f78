import type { ParameterValues } from "@corvid/protocol";
import { sourceArguments, type LoadedArtifact } from "./artifacts/catalog.ts";
import { conformRow } from "./artifacts/rows.ts";
import type { AttachedFile, CollectionProblem, Row } from "./sources/source.ts";

export interface CollectOptions {
  signal: AbortSignal;
  pace(): Promise<void>;
  onRow(row: Row): void | Promise<void>;
  onProblem?(problem: CollectionProblem): void;
}

export interface CollectSummary {
  rowCount: number;
  files: AttachedFile[];
  problems: CollectionProblem[];
}

/** Runs one artifact's source and hands each row, shaped to the artifact's columns, to `onRow`. */
export async function collectArtifact(artifact: LoadedArtifact, requested: ParameterValues, options: CollectOptions): Promise<CollectSummary> {
  const { definition, source } = artifact;
  const summary: CollectSummary = { rowCount: 0, files: [], problems: [] };
  const context = {
    signal: options.signal,
    pace: options.pace,
    warn(problem: CollectionProblem) {
      summary.problems.push(problem);
      options.onProblem?.(problem);
    },
    attachFile(file: AttachedFile) {
      if (!summary.files.some((known) => known.path === file.path)) summary.files.push(file);
    },
  };
  for await (const row of source.collect(sourceArguments(definition, requested), context)) {
    options.signal.throwIfAborted();
    await options.onRow(conformRow(definition.name, definition.columns, row));
    summary.rowCount++;
  }
  return summary;
}

/** Collects into memory; for tests and small artifacts. */
export async function collectRows(
  artifact: LoadedArtifact,
  requested: ParameterValues = {},
): Promise<{ rows: Row[] } & CollectSummary> {
  const rows: Row[] = [];
  const summary = await collectArtifact(artifact, requested, {
    signal: new AbortController().signal,
    pace: () => new Promise((resolve) => setImmediate(resolve)),
    onRow: (row) => {
      rows.push(row);
    },
  });
  return { rows, ...summary };
}
