import sqlite3InitModule from "@sqlite.org/sqlite-wasm";
import * as Comlink from "comlink";
import type { EvidenceDbApi } from "./evidence-db.ts";

// Runs in a dedicated worker of the offscreen document: opfs-sahpool needs synchronous OPFS access handles,
// which only dedicated workers have (an MV3 service worker cannot create workers at all).

const DB_FILE = "/corvid-evidence.sqlite3";

async function open() {
  const sqlite3 = await sqlite3InitModule();
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: "corvid-sahpool", directory: "/corvid-sahpool", initialCapacity: 4 });
  const db = new pool.OpfsSAHPoolDb(DB_FILE);
  db.exec(`CREATE TABLE IF NOT EXISTS evidence_rows (
    id INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    artifact TEXT NOT NULL,
    row TEXT NOT NULL CHECK (json_valid(row)),
    stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE INDEX IF NOT EXISTS evidence_rows_task ON evidence_rows (task_id, artifact);`);
  return { sqlite3, db };
}

let opened: ReturnType<typeof open> | undefined;
const database = () => (opened ??= open());

const api: EvidenceDbApi = {
  async info() {
    const { sqlite3 } = await database();
    return { libVersion: sqlite3.version.libVersion, vfs: "opfs-sahpool", file: DB_FILE };
  },
  async insertRows(taskId, artifact, rows) {
    const { db } = await database();
    db.transaction((tx) => {
      const statement = tx.prepare("INSERT INTO evidence_rows (task_id, artifact, row) VALUES (?, ?, ?)");
      try {
        for (const row of rows) statement.bind([taskId, artifact, row]).stepReset();
      } finally {
        statement.finalize();
      }
    });
    return rows.length;
  },
  async count(filter = {}) {
    const { db } = await database();
    return Number(
      db.selectValue("SELECT count(*) FROM evidence_rows WHERE (?1 IS NULL OR task_id = ?1) AND (?2 IS NULL OR artifact = ?2)", [filter.taskId ?? null, filter.artifact ?? null]),
    );
  },
};

// One worker, many clients: every port the offscreen document hands over (one per SW start) gets the API.
self.addEventListener("message", (event: MessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === "connect" && event.ports[0]) Comlink.expose(api, event.ports[0]);
});
