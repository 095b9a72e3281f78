// `npm run db:migrate`: applies the committed migrations to $DATABASE_URL (server.js also does this at start).
import { migrate } from "../db/migrator.js";
import { resolveDatabaseUrl } from "../db/config.js";

const url = resolveDatabaseUrl(process.env);
const { provider, applied } = await migrate({ url });
console.log(`migrate (${provider}): ${applied.length === 0 ? "up to date" : `applied ${applied.join(", ")}`}`);
