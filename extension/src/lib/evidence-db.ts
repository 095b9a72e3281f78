/** The local evidence database (sqlite-wasm on OPFS in the offscreen document's worker), as the SW sees it. */
export interface EvidenceDbApi {
  info(): Promise<{ libVersion: string; vfs: string; file: string }>;
  /** Stores one batch of a task's artifact rows (each a JSON object text) in one transaction; returns the count. */
  insertRows(taskId: string, artifact: string, rows: string[]): Promise<number>;
  count(filter?: { taskId?: string; artifact?: string }): Promise<number>;
}

/** Where the responder writes rows besides the upload spool. */
export interface EvidenceSink {
  insertRows(taskId: string, artifact: string, rows: string[]): Promise<unknown>;
}

export const OFFSCREEN_CONNECT_MESSAGE = "corvid:evidence-db-connect";
export const EVIDENCE_DB_PORT_MESSAGE = "corvid:evidence-db-port";
