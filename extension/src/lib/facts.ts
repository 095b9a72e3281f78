import type { AssetFacts } from "@corvid/protocol";
import { collectDevice, readUserAgent, type DeviceApi, type UserAgentInfo } from "../collectors/device.ts";

export interface FactsApi extends DeviceApi {
  runtime: DeviceApi["runtime"] & { id: string; getManifest(): { version: string } };
  management: { getSelf(): Promise<{ installType: string }> };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * What the console shows about this browser asset. A browser has no hostname of its own: ChromeOS gives
 * the admin-set device hostname; elsewhere the profile email or the responder ID names the asset.
 */
export async function gatherBrowserFacts(
  api: FactsApi,
  options: { responderId: string; tags: string[]; profileEmail?: string | undefined },
  userAgent?: UserAgentInfo,
): Promise<AssetFacts> {
  const device = await collectDevice(api, userAgent ?? (await readUserAgent()));
  const self = await api.management.getSelf().catch(() => undefined);
  const network = device.network as { macAddress?: string; ipv4?: string; ipv6?: string } | null;
  const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
  const deviceId = text(device.directory_device_id);
  const hostname = text(device.device_hostname) ?? options.profileEmail ?? `chrome-${options.responderId.slice(2, 14)}`;
  const ips = [network?.ipv4, network?.ipv6].filter((ip): ip is string => ip !== undefined && ip !== "" && (IPV4.test(ip) || ip.includes(":")));
  return {
    hostname: hostname.slice(0, 255),
    ...(deviceId ? { machineId: deviceId } : {}),
    platform: device.os === "ChromeOS" ? "chromeos" : "browser",
    os: { name: String(device.os), version: text(device.os_version) ?? "unknown" },
    arch: String(device.arch),
    agentVersion: api.runtime.getManifest().version,
    ips,
    ...(network?.macAddress ? { macs: [network.macAddress] } : {}),
    // A service worker cannot measure its own CPU or RSS.
    resources: { cpuPercent: 0, rssBytes: 0 },
    browser: {
      name: String(device.browser_name),
      version: String(device.browser_version),
      userAgent: String(device.user_agent).slice(0, 1024),
      extensionId: api.runtime.id,
      extensionVersion: api.runtime.getManifest().version,
      managed: self?.installType === "admin",
      ...(options.profileEmail ? { profileEmail: options.profileEmail } : {}),
      ...(deviceId ? { deviceId } : {}),
    },
    ...(options.tags.length > 0 ? { tags: options.tags } : {}),
  };
}
