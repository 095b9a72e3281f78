import { z } from "zod";
import { Platform, Timestamp } from "./common.ts";

const IpAddress = z
  .string()
  .max(80)
  .regex(/^[0-9A-Fa-f:.]+(%[\w.-]{1,32})?$/, "expected an IPv4 or IPv6 address (optionally with a %zone)");
const MacAddress = z.string().regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5,7}$/, "expected a MAC address");

export const ResourceUsage = z.object({
  /** CPU of the responder process itself; can exceed 100 on several cores. */
  cpuPercent: z.number().min(0).max(100_000),
  rssBytes: z.int().min(0),
  heapBytes: z.int().min(0).optional(),
});

export const BrowserFacts = z.object({
  name: z.string().max(64),
  version: z.string().max(64),
  userAgent: z.string().max(1024).optional(),
  extensionId: z.string().max(64).optional(),
  extensionVersion: z.string().max(64).optional(),
  /** True when installed by enterprise policy. */
  managed: z.boolean().optional(),
  profileEmail: z.string().max(320).optional(),
  deviceId: z.string().max(128).optional(),
});

/** What a responder reports about its host at enrollment and every check-in. */
export const AssetFacts = z.object({
  hostname: z.string().min(1).max(255),
  /** Stable host identifier when the OS has one (e.g. /etc/machine-id); becomes ECS host.id. */
  machineId: z.string().max(128).optional(),
  platform: Platform,
  os: z.object({
    name: z.string().max(128),
    version: z.string().max(128),
    kernel: z.string().max(256).optional(),
  }),
  arch: z.string().max(32),
  agentVersion: z.string().max(64),
  ips: z.array(IpAddress).max(256),
  macs: z.array(MacAddress).max(256).optional(),
  bootTime: Timestamp.optional(),
  resources: ResourceUsage,
  browser: BrowserFacts.optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
});

export type ResourceUsage = z.infer<typeof ResourceUsage>;
export type BrowserFacts = z.infer<typeof BrowserFacts>;
export type AssetFacts = z.infer<typeof AssetFacts>;
