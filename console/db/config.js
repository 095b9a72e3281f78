// Where the console keeps its data, shared by server.js, the CLI, scripts and app code.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** console/data: the same place whether started by `npm start` (cwd console/) or `npx corvid` (any cwd). */
const defaultDataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../data");

/** @param {NodeJS.ProcessEnv} env @returns {string} absolute data directory (CORVID_DATA_DIR, default console/data) */
export function resolveDataDir(env = process.env) {
  return env.CORVID_DATA_DIR ? path.resolve(env.CORVID_DATA_DIR) : defaultDataDir;
}

/** @param {NodeJS.ProcessEnv} env @returns {string} DATABASE_URL, default SQLite file corvid.db in the data directory */
export function resolveDatabaseUrl(env = process.env) {
  return env.DATABASE_URL || `file:${path.join(resolveDataDir(env), "corvid.db")}`;
}
