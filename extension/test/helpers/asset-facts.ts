import type { AssetFacts } from "@corvid/protocol";

/** Facts a browser responder reports, without asking Chrome: tests that drive the responder outside a browser. */
export async function testBrowserFacts({ responderId, tags = [] }: { responderId: string; tags?: string[] }): Promise<AssetFacts> {
  return {
    hostname: `chrome-${responderId.slice(2, 10)}`,
    platform: "browser",
    os: { name: "Linux", version: "unknown" },
    arch: "x86-64",
    agentVersion: "0.1.0",
    ips: [],
    resources: { cpuPercent: 0, rssBytes: 0 },
    browser: { name: "Chromium", version: "156.0.8078.108", managed: true },
    ...(tags.length ? { tags } : {}),
  };
}
