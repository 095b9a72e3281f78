// Fixtures for the responder, evidence, case and tenancy tests: a migrated real database, organizations
// with users, a responder that signs like the real agents (via @corvid/protocol), and a real HTTP server.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import {
  PROTOCOL_VERSION,
  bytesToBase64Url,
  generateResponderKeys,
  responderIdFromPublicKey,
  responderPaths,
  sha256Hex,
  signRequest,
  type AssetFacts,
  type ResponderKeys,
} from "@corvid/protocol";
import { migrate } from "../../db/migrator.js";
import { createDb, type Db } from "../../app/db.server.ts";
import { createDeploymentToken } from "../../app/lib/deployment-tokens.server.ts";
import { UNUSABLE_PASSWORD_HASH } from "../../app/lib/password.server.ts";
import { handleCheckin } from "../../app/lib/responder/checkin.server.ts";
import type { ResponderContext } from "../../app/lib/responder/context.server.ts";
import { handleEnroll } from "../../app/lib/responder/enroll.server.ts";
import { handleIdentity, signIfAsked } from "../../app/lib/responder/identity.server.ts";
import { respond } from "../../app/lib/responder/errors.server.ts";
import { handleTaskProgress } from "../../app/lib/responder/progress.server.ts";
import { handleUploadBegin, handleUploadChunk, handleUploadComplete } from "../../app/lib/evidence/uploads.server.ts";
import type { ArtifactCatalogue } from "../../app/lib/responder/artifact-catalogue.server.ts";
import { DATABASE_KINDS, tempDir } from "./databases.ts";

export { DATABASE_KINDS };

export interface TestEnvironment {
  db: Db;
  url: string;
  dataDir: string;
  ctx: ResponderContext;
  close(): Promise<void>;
}

/** A migrated database of the given kind plus a data directory; `close` removes both. */
export async function openTestEnvironment(
  createDatabase: (typeof DATABASE_KINDS)[number][1],
  overrides: Partial<ResponderContext> = {},
): Promise<TestEnvironment> {
  const database = await createDatabase();
  await migrate({ url: database.url });
  const db = await createDb(database.url);
  const data = tempDir("corvid-data-");
  const ctx: ResponderContext = { db, dataDir: data.dir, now: Date.now, longPollMs: 0, ...overrides };
  return {
    db,
    url: database.url,
    dataDir: data.dir,
    ctx,
    close: async () => {
      await db.$disconnect();
      await database.drop();
      data.remove();
    },
  };
}

export interface SeededOrganization {
  id: string;
  admin: { id: string; organizationId: string };
  analyst: { id: string; organizationId: string };
  viewer: { id: string; organizationId: string };
}

export async function seedOrganization(db: Db, slug: string): Promise<SeededOrganization> {
  const org = await db.organization.create({ data: { name: `Org ${slug}`, slug } });
  const user = (role: string) =>
    db.user.create({
      data: { organizationId: org.id, email: `${role}@${slug}.test`, name: `${role} ${slug}`, role, passwordHash: UNUSABLE_PASSWORD_HASH },
      select: { id: true, organizationId: true },
    });
  return { id: org.id, admin: await user("admin"), analyst: await user("analyst"), viewer: await user("viewer") };
}

export async function issueToken(
  db: Db,
  org: SeededOrganization,
  options: { expiresAt?: Date | null; maxUses?: number | null; tags?: string[] } = {},
): Promise<string> {
  const { token } = await createDeploymentToken(db, {
    organizationId: org.id,
    name: "test token",
    expiresAt: options.expiresAt ?? null,
    maxUses: options.maxUses ?? null,
    tags: options.tags ?? [],
    actor: { type: "user", userId: org.admin.id },
  });
  return token;
}

export function sampleFacts(hostname = "host-1", extra: Partial<AssetFacts> = {}): AssetFacts {
  return {
    hostname,
    platform: "linux",
    os: { name: "Debian GNU/Linux", version: "12", kernel: "6.1.0" },
    arch: "x86_64",
    agentVersion: "0.1.0",
    ips: ["10.0.0.5"],
    resources: { cpuPercent: 1.5, rssBytes: 50_000_000 },
    ...extra,
  };
}

const BASE_URL = "http://console.test";

/** A responder that signs its requests exactly like the real agents (protocol's signRequest). */
export class TestResponder {
  private constructor(
    readonly keys: ResponderKeys,
    readonly responderId: string,
    readonly publicKey: string,
  ) {}

  static async create(): Promise<TestResponder> {
    const keys = await generateResponderKeys();
    return new TestResponder(keys, await responderIdFromPublicKey(keys.publicKeyRaw), bytesToBase64Url(keys.publicKeyRaw));
  }

  enrollRequest(deploymentToken: string, facts = sampleFacts(), kind: "native" | "browser" = "native"): Request {
    return new Request(BASE_URL + responderPaths.enroll, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ protocolVersion: PROTOCOL_VERSION, deploymentToken, publicKey: this.publicKey, kind, facts }),
    });
  }

  /** A signed request; `now` lets tests forge stale timestamps. */
  async signed(
    method: string,
    path: string,
    body: Uint8Array | string | object | undefined,
    options: { now?: number; headers?: Record<string, string>; base?: string } = {},
  ): Promise<Request> {
    const bytes =
      body === undefined ? new Uint8Array(0) : body instanceof Uint8Array ? body : new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
    const signature = await signRequest({ method, path, body: bytes, keys: this.keys, responderId: this.responderId, now: options.now });
    return new Request((options.base ?? BASE_URL) + path, {
      method,
      headers: { ...signature, "content-type": body instanceof Uint8Array ? "application/octet-stream" : "application/json", ...options.headers },
      body: method === "GET" ? undefined : (bytes as Uint8Array<ArrayBuffer>),
    });
  }

  checkinBody(activeTaskIds: string[] = [], facts = sampleFacts()) {
    return { protocolVersion: PROTOCOL_VERSION, facts, activeTaskIds };
  }
}

/** Sends a request through the same error handling the Remix routes use, returning the Response. */
export function call(handler: () => Promise<unknown>): Promise<Response> {
  return respond(handler);
}

export async function enroll(ctx: ResponderContext, token: string, facts = sampleFacts(), kind: "native" | "browser" = "native"): Promise<TestResponder> {
  const responder = await TestResponder.create();
  const response = await call(() => handleEnroll(ctx, responder.enrollRequest(token, facts, kind)));
  if (response.status !== 200) throw new Error(`enroll failed: ${response.status} ${await response.text()}`);
  return responder;
}

export async function sha256OfBytes(bytes: Uint8Array): Promise<string> {
  return sha256Hex(bytes);
}

/** A small catalogue for tests that create tasks without depending on the repository's YAML files. */
export function testCatalogue(): ArtifactCatalogue {
  const artifacts = [
    {
      name: "Linux.Sys.Processes",
      description: "processes",
      platforms: ["linux" as const],
      source: { kind: "linux.processes" },
      columns: [
        { name: "pid", type: "int" as const },
        { name: "name", type: "string" as const },
        { name: "cmdline", type: "string" as const },
      ],
    },
    {
      name: "Linux.Sys.Users",
      description: "users",
      platforms: ["linux" as const],
      source: { kind: "linux.users" },
      columns: [{ name: "user", type: "string" as const }],
    },
  ];
  return { artifacts, get: (name) => artifacts.find((artifact) => artifact.name === name) };
}

function toRequest(message: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  const hasBody = message.method !== "GET" && message.method !== "HEAD";
  return new Request(origin + message.url, {
    method: message.method,
    headers,
    body: hasBody ? (Readable.toWeb(message) as ReadableStream<Uint8Array>) : undefined,
    // Node's fetch needs duplex for streamed request bodies.
    duplex: "half",
  });
}

const ROUTES: [string, RegExp, (ctx: ResponderContext, request: Request, match: RegExpExecArray) => Promise<unknown>][] = [
  ["POST", /^\/api\/responder\/v1\/identity$/, (ctx, request) => handleIdentity(ctx, request)],
  ["POST", /^\/api\/responder\/v1\/enroll$/, (ctx, request) => handleEnroll(ctx, request)],
  ["POST", /^\/api\/responder\/v1\/checkin$/, (ctx, request) => handleCheckin(ctx, request)],
  ["POST", /^\/api\/responder\/v1\/tasks\/([^/]+)\/progress$/, (ctx, request, match) => handleTaskProgress(ctx, request, match[1]!)],
  ["POST", /^\/api\/responder\/v1\/uploads$/, (ctx, request) => handleUploadBegin(ctx, request)],
  ["PUT", /^\/api\/responder\/v1\/uploads\/([^/]+)\/chunks\/([^/]+)$/, (ctx, request, match) => handleUploadChunk(ctx, request, match[1]!, match[2]!)],
  ["POST", /^\/api\/responder\/v1\/uploads\/([^/]+)\/complete$/, (ctx, request, match) => handleUploadComplete(ctx, request, match[1]!)],
];

/** A real HTTP server in front of the responder handlers (the same functions, and response signing, the Remix routes use). */
export async function startResponderServer(ctx: ResponderContext): Promise<{ url: string; close(): Promise<void> }> {
  let origin = "";
  const server: Server = createServer(async (message, reply) => {
    const request = toRequest(message, origin);
    const pathname = new URL(request.url).pathname;
    const route = ROUTES.find(([method, pattern]) => method === request.method && pattern.test(pathname));
    const response = route
      ? await signIfAsked(ctx.identity, request, await respond(() => route[2](ctx, request, route[1].exec(pathname)!)))
      : new Response(JSON.stringify({ error: { code: "not-found", message: "no route" } }), { status: 404 });
    reply.writeHead(response.status, Object.fromEntries(response.headers));
    reply.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Runs a whole upload (begin, chunks, complete) through the handlers and returns the evidence id. */
export async function uploadEvidence(
  ctx: ResponderContext,
  responder: TestResponder,
  upload: { taskId: string; artifact: string; name: string; kind: "table" | "file"; bytes: Uint8Array; columns?: { name: string; type: "string" | "int" }[] },
): Promise<string> {
  const sha256 = await sha256Hex(upload.bytes);
  const { bytes, ...rest } = upload;
  const begin = await call(async () =>
    handleUploadBegin(ctx, await responder.signed("POST", responderPaths.uploads, { ...rest, contentType: "application/octet-stream", size: bytes.length, sha256 })),
  );
  if (begin.status !== 200) throw new Error(`upload begin failed: ${await begin.text()}`);
  const { uploadId, chunkSize } = (await begin.json()) as { uploadId: string; chunkSize: number };
  for (let index = 0; index * chunkSize < bytes.length; index++) {
    const chunk = bytes.subarray(index * chunkSize, (index + 1) * chunkSize);
    const request = await responder.signed("PUT", responderPaths.uploadChunk(uploadId, index), chunk, { headers: { "x-corvid-chunk-sha256": await sha256Hex(chunk) } });
    const response = await call(() => handleUploadChunk(ctx, request, uploadId, String(index)));
    if (response.status !== 200) throw new Error(`chunk failed: ${await response.text()}`);
  }
  const done = await call(async () => handleUploadComplete(ctx, await responder.signed("POST", responderPaths.uploadComplete(uploadId), {}), uploadId));
  if (done.status !== 200) throw new Error(`upload complete failed: ${await done.text()}`);
  return ((await done.json()) as { evidenceId: string }).evidenceId;
}
