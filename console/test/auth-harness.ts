// Calls Remix route modules' loaders and actions with real Request objects against a real,
// migrated database (SQLite file or PostgreSQL database), the way the Remix handler would.
import { migrate } from "../db/migrator.js";
import { type Db, getDb } from "../app/db.server.ts";
import type { TestDatabase } from "./helpers/databases.ts";

export const BASE = "http://127.0.0.1:3000";
// A fixed key so tests never write a key file into a data directory.
process.env.CORVID_SECRET_KEY ??= "a".repeat(64);

export interface ConsoleUnderTest {
  db: Db;
  drop(): Promise<void>;
}

/** Migrates a fresh database and points the app's getDb() at it. */
export async function startConsole(database: TestDatabase): Promise<ConsoleUnderTest> {
  await migrate({ url: database.url });
  process.env.DATABASE_URL = database.url;
  const db = await getDb();
  return {
    db,
    drop: async () => {
      await db.$disconnect();
      await database.drop();
    },
  };
}

type RouteFunction = (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
export interface RouteModule {
  loader?: RouteFunction;
  action?: RouteFunction;
}

export interface RouteResult {
  status: number;
  headers: Headers;
  location: string | null;
  /** the loader/action data, or the body text of a thrown/returned Response */
  data: any;
  setCookie: string | null;
}

export interface RequestOptions {
  cookie?: string | null;
  form?: Record<string, string>;
  ip?: string;
  headers?: Record<string, string>;
}

async function settle(run: () => unknown): Promise<RouteResult> {
  let outcome: unknown;
  try {
    outcome = await run();
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    outcome = thrown;
  }
  if (outcome instanceof Response) {
    return { status: outcome.status, headers: outcome.headers, location: outcome.headers.get("location"), data: await outcome.text(), setCookie: outcome.headers.get("set-cookie") };
  }
  if (outcome && typeof outcome === "object" && (outcome as { type?: string }).type === "DataWithResponseInit") {
    const { data, init } = outcome as { data: unknown; init: ResponseInit | null };
    const headers = new Headers(init?.headers);
    return { status: init?.status ?? 200, headers, location: headers.get("location"), data, setCookie: headers.get("set-cookie") };
  }
  return { status: 200, headers: new Headers(), location: null, data: outcome, setCookie: null };
}

function buildRequest(method: string, path: string, options: RequestOptions): Request {
  const headers = new Headers(options.headers);
  headers.set("x-corvid-client-ip", options.ip ?? "192.0.2.10");
  if (options.cookie) headers.set("cookie", options.cookie);
  const init: RequestInit = { method, headers };
  if (options.form) {
    init.body = new URLSearchParams(options.form);
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  return new Request(new URL(path, BASE), init);
}

export function get(route: RouteModule, path: string, options: RequestOptions = {}): Promise<RouteResult> {
  if (!route.loader) throw new Error(`route for ${path} has no loader`);
  const loader = route.loader;
  return settle(() => loader({ request: buildRequest("GET", path, options), params: {}, context: {} }));
}

export function post(route: RouteModule, path: string, options: RequestOptions = {}): Promise<RouteResult> {
  if (!route.action) throw new Error(`route for ${path} has no action`);
  const action = route.action;
  return settle(() => action({ request: buildRequest("POST", path, options), params: {}, context: {} }));
}

/** "corvid_session=…" from a Set-Cookie header, for the next request's Cookie header. */
export function sessionCookie(result: RouteResult): string {
  const match = /corvid_session=([^;]*)/.exec(result.setCookie ?? "");
  if (!match?.[1]) throw new Error(`no session cookie in response (status ${result.status}, location ${result.location})`);
  return `corvid_session=${match[1]}`;
}
