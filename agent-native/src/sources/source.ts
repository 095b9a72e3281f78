import { readFile, readdir } from "node:fs/promises";
import type { z } from "zod";
import { ParseError } from "../parsers/errors.ts";

export type Row = Record<string, unknown>;

/** Something one item of a collection could not do; the collection goes on. */
export interface CollectionProblem {
  path?: string;
  code: string;
  message: string;
}

/** A file the source wants uploaded as raw evidence next to its table. */
export interface AttachedFile {
  path: string;
}

export interface SourceContext {
  signal: AbortSignal;
  /** Called between items: yields the event loop and enforces the task's CPU and memory limits. */
  pace(): Promise<void>;
  warn(problem: CollectionProblem): void;
  attachFile(file: AttachedFile): void;
}

/** One implementation of a source kind named in artifact definitions (`source.kind`). */
export interface SourceKind<Args> {
  kind: string;
  description: string;
  /** Validates `source.parameters` merged with the task's parameters; defaults live here. */
  args: z.ZodType<Args>;
  collect(args: Args, context: SourceContext): AsyncIterable<Row>;
}

/** Reads a file that may legitimately be absent (ENOENT/ENOTDIR are silent); other failures are reported. */
export async function readOptionalFile(context: SourceContext, path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isMissing(error)) return null;
    context.warn(problemFrom(error, path));
    return null;
  }
}

export async function readOptionalText(context: SourceContext, path: string): Promise<string | null> {
  const bytes = await readOptionalFile(context, path);
  return bytes === null ? null : bytes.toString("utf8");
}

export async function listOptionalDirectory(context: SourceContext, path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    context.warn(problemFrom(error, path));
    return [];
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ESRCH: a /proc/<pid> entry whose process exited while it was being read.
  return code === "ENOENT" || code === "ENOTDIR" || code === "ESRCH";
}

export function problemFrom(error: unknown, path?: string): CollectionProblem {
  const code = error instanceof ParseError ? error.code : ((error as NodeJS.ErrnoException).code ?? "error");
  const message = error instanceof Error ? error.message : String(error);
  return path === undefined ? { code, message } : { path, code, message };
}

/** Reports every parse error of a file as a problem tied to that file. */
export function warnAll(context: SourceContext, path: string, errors: ParseError[]): void {
  for (const error of errors) context.warn(problemFrom(error, path));
}
