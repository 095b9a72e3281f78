// Where the console keeps its data, shared by server.js, the CLI, scripts and app code.
import path from "node:path";

/** @param {NodeJS.ProcessEnv} env @returns {string} absolute data directory (CORVID_DATA_DIR, default ./data) */
export function resolveDataDir(env = process.env) {
  return path.resolve(env.CORVID_DATA_DIR || "data");
}

/** @param {NodeJS.ProcessEnv} env @returns {string} DATABASE_URL, default SQLite file corvid.db in the data directory */
export function resolveDatabaseUrl(env = process.env) {
  return env.DATABASE_URL || `file:${path.join(resolveDataDir(env), "corvid.db")}`;
}
