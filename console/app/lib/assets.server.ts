import { BASE_CHECKIN_INTERVAL_SEC, TARGET_CHECKINS_PER_SEC, type AssetFacts } from "@corvid/protocol";
import type { Db } from "../db.server.ts";
import type { Prisma } from "../generated/sqlite/client.ts";
import { audit } from "./audit.server.ts";
import { containsInsensitive } from "./evidence/sql.server.ts";

/** Asset columns that mirror the responder's latest AssetFacts. */
/** The facts last reported, as stored; a row written by an older console may hold less or nothing. */
export function parseAssetFacts(text: string): Partial<AssetFacts> {
  try {
    const facts: unknown = JSON.parse(text);
    return facts !== null && typeof facts === "object" ? (facts as Partial<AssetFacts>) : {};
  } catch {
    return {};
  }
}

export function assetFactsData(facts: AssetFacts) {
  return {
    hostname: facts.hostname,
    platform: facts.platform,
    osName: facts.os.name,
    osVersion: facts.os.version,
    arch: facts.arch,
    agentVersion: facts.agentVersion,
    ips: JSON.stringify(facts.ips),
    facts: JSON.stringify(facts),
    cpuPercent: facts.resources.cpuPercent,
    rssBytes: BigInt(facts.resources.rssBytes),
  };
}

export function parseJsonArray(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

export function mergeTags(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat().map((tag) => tag.trim()).filter(Boolean))].sort();
}

/**
 * An asset is online while its last check-in is younger than a few check-in intervals
 * (the interval grows with the fleet, so the threshold does too).
 */
export function onlineThresholdMs(assetCount: number): number {
  const intervalSec = Math.max(BASE_CHECKIN_INTERVAL_SEC, assetCount / TARGET_CHECKINS_PER_SEC);
  return Math.ceil(intervalSec * 3 * 1000);
}

export function isOnline(lastSeenAt: Date, assetCount: number, now = Date.now()): boolean {
  return now - lastSeenAt.getTime() <= onlineThresholdMs(assetCount);
}

const ASSET_COUNT_TTL_MS = 30_000;
const assetCounts = new Map<string, { count: number; at: number }>();

/** Enrolled (not revoked) assets of an organization, cached briefly: every check-in needs it. */
export async function countActiveAssets(db: Prisma.TransactionClient, organizationId: string, now = Date.now()): Promise<number> {
  const cached = assetCounts.get(organizationId);
  if (cached && now - cached.at < ASSET_COUNT_TTL_MS) return cached.count;
  const count = await db.asset.count({ where: { organizationId, revokedAt: null } });
  assetCounts.set(organizationId, { count, at: now });
  return count;
}

export const ASSET_SORTS = ["hostname", "lastSeenAt", "platform", "osName", "agentVersion", "enrolledAt"] as const;
export type AssetSort = (typeof ASSET_SORTS)[number];

export interface AssetListQuery {
  /** Matches hostname, IPs, OS, agent version or responder id. */
  q?: string;
  platform?: string;
  status?: "online" | "offline" | "revoked";
  tag?: string;
  sort?: AssetSort;
  dir?: "asc" | "desc";
  /** 1-based */
  page?: number;
  pageSize?: number;
}

export const ASSET_PAGE_SIZE = 100;

export function parseAssetListQuery(params: URLSearchParams): AssetListQuery {
  const sort = params.get("sort");
  const status = params.get("status");
  return {
    q: params.get("q")?.trim() || undefined,
    platform: params.get("platform") || undefined,
    status: status === "online" || status === "offline" || status === "revoked" ? status : undefined,
    tag: params.get("tag")?.trim() || undefined,
    sort: (ASSET_SORTS as readonly string[]).includes(sort ?? "") ? (sort as AssetSort) : undefined,
    dir: params.get("dir") === "asc" ? "asc" : params.get("dir") === "desc" ? "desc" : undefined,
    page: Math.max(1, Math.floor(Number(params.get("page")) || 1)),
  };
}

export async function listAssets(db: Db, organizationId: string, query: AssetListQuery = {}, now = Date.now()) {
  const assetCount = await db.asset.count({ where: { organizationId, revokedAt: null } });
  const threshold = new Date(now - onlineThresholdMs(assetCount));
  const where: Prisma.AssetWhereInput = { organizationId };
  if (query.platform) where.platform = query.platform;
  if (query.status === "revoked") where.revokedAt = { not: null };
  else if (query.status === "online") Object.assign(where, { revokedAt: null, lastSeenAt: { gte: threshold } });
  else if (query.status === "offline") Object.assign(where, { revokedAt: null, lastSeenAt: { lt: threshold } });
  if (query.tag) where.tags = { contains: JSON.stringify(query.tag) };
  const search = query.q;
  if (search) {
    where.OR = ["hostname", "ips", "osName", "osVersion", "agentVersion", "responderId"].map((field) => ({
      [field]: containsInsensitive(db, search),
    }));
  }
  const sort = query.sort ?? "hostname";
  const pageSize = query.pageSize ?? ASSET_PAGE_SIZE;
  const total = await db.asset.count({ where });
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(query.page ?? 1, pageCount);
  const assets = await db.asset.findMany({
    where,
    orderBy: [{ [sort]: query.dir ?? (sort === "lastSeenAt" || sort === "enrolledAt" ? "desc" : "asc") }, { id: "asc" }],
    skip: (page - 1) * pageSize,
    take: pageSize,
  });
  const platforms = await db.asset.findMany({ where: { organizationId }, distinct: ["platform"], select: { platform: true } });
  return {
    assets: assets.map((asset) => ({
      ...asset,
      tags: parseJsonArray(asset.tags),
      ips: parseJsonArray(asset.ips),
      browser: parseAssetFacts(asset.facts).browser ?? null,
      online: !asset.revokedAt && asset.lastSeenAt >= threshold,
    })),
    platforms: platforms.map((row) => row.platform).sort(),
    assetCount,
    total,
    page,
    pageCount,
  };
}

export async function getAsset(db: Db, organizationId: string, assetId: string, now = Date.now()) {
  const asset = await db.asset.findFirst({
    where: { id: assetId, organizationId },
    include: {
      deploymentToken: { select: { id: true, name: true, prefix: true } },
      assignments: {
        orderBy: { createdAt: "desc" },
        take: 50,
        include: { task: { select: { id: true, caseId: true, createdAt: true, case: { select: { name: true } } } } },
      },
      _count: { select: { evidence: true } },
    },
  });
  if (!asset) return null;
  const assetCount = await countActiveAssets(db, organizationId, now);
  return {
    ...asset,
    tags: parseJsonArray(asset.tags),
    ips: parseJsonArray(asset.ips),
    facts: parseAssetFacts(asset.facts),
    online: !asset.revokedAt && isOnline(asset.lastSeenAt, assetCount, now),
  };
}

/** Revoking makes the responder's next request answer 410 "reenroll" (a valid deployment token can re-admit it). */
export async function revokeAsset(db: Db, organizationId: string, assetId: string, actorUserId: string): Promise<boolean> {
  const { count } = await db.asset.updateMany({
    where: { id: assetId, organizationId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) return false;
  assetCounts.delete(organizationId);
  await audit(db, {
    organizationId,
    actorType: "user",
    actorId: actorUserId,
    action: "responder.revoke",
    target: assetId,
    detail: {},
  });
  return true;
}

export async function setAssetTags(db: Db, organizationId: string, assetId: string, tags: string[], actorUserId: string): Promise<boolean> {
  const cleaned = mergeTags(tags);
  const { count } = await db.asset.updateMany({ where: { id: assetId, organizationId }, data: { tags: JSON.stringify(cleaned) } });
  if (count === 0) return false;
  await audit(db, { organizationId, actorType: "user", actorId: actorUserId, action: "asset.tags", target: assetId, detail: { tags: cleaned } });
  return true;
}
