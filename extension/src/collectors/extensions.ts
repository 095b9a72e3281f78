import { parseExtensionIdList } from "./malicious-list.ts";
import type { Row } from "./types.ts";

export interface ExtensionInfo {
  id: string;
  name: string;
  version: string;
  type: string;
  installType: string;
  enabled: boolean;
  disabledReason?: string;
  mayDisable: boolean;
  permissions?: string[];
  hostPermissions?: string[];
  updateUrl?: string;
  homepageUrl?: string;
}

export interface ManagementApi {
  management: { getAll(): Promise<ExtensionInfo[]> };
}

/** Host patterns that reach every site. */
const ALL_SITES = new Set(["<all_urls>", "*://*/*", "http://*/*", "https://*/*"]);
/** Dangerous on their own: attach a debugger, reroute all traffic, talk to native programs. */
const DANGEROUS_ALONE = ["debugger", "proxy", "nativeMessaging"];
/** Sensitive together with access to every site: read or rewrite what the user does anywhere. */
const SENSITIVE_WITH_ALL_SITES = ["cookies", "webRequest", "webRequestBlocking", "declarativeNetRequest", "scripting", "history", "downloads", "management", "clipboardRead", "tabCapture", "desktopCapture"];

export function hasAllSitesAccess(hostPermissions: readonly string[]): boolean {
  return hostPermissions.some((pattern) => ALL_SITES.has(pattern));
}

/** Why a permission set is risky; empty when it is not. */
export function riskReasons(permissions: readonly string[], hostPermissions: readonly string[]): string[] {
  const reasons = DANGEROUS_ALONE.filter((permission) => permissions.includes(permission)).map((permission) => `permission ${permission}`);
  if (hasAllSitesAccess(hostPermissions)) {
    const sensitive = SENSITIVE_WITH_ALL_SITES.filter((permission) => permissions.includes(permission));
    if (sensitive.length > 0) reasons.push(`access to every site with ${sensitive.join(", ")}`);
  }
  return reasons;
}

/**
 * Known-malicious IDs come with the task (the console's threat-intelligence list, e.g. palant/malicious-extensions-list),
 * so the list is current at every collection and the extension ships no feed of its own.
 */
export function knownMaliciousIds(parameters: { known_malicious_ids?: unknown }): ReadonlySet<string> {
  const supplied = Array.isArray(parameters.known_malicious_ids) ? parameters.known_malicious_ids.map(String) : [];
  return new Set(parseExtensionIdList(supplied.join("\n")));
}

export async function collectExtensions(api: ManagementApi, maliciousIds: ReadonlySet<string>): Promise<Row[]> {
  const items = await api.management.getAll();
  return items.map((item) => {
    const permissions = item.permissions ?? [];
    const hostPermissions = item.hostPermissions ?? [];
    const reasons = riskReasons(permissions, hostPermissions);
    return {
      id: item.id,
      name: item.name,
      version: item.version,
      type: item.type,
      install_type: item.installType,
      enabled: item.enabled,
      disabled_reason: item.disabledReason ?? null,
      may_disable: item.mayDisable,
      permissions,
      host_permissions: hostPermissions,
      update_url: item.updateUrl ?? null,
      homepage_url: item.homepageUrl ?? null,
      known_malicious: maliciousIds.has(item.id),
      risky_permissions: reasons.length > 0,
      risk_reasons: reasons,
    };
  });
}
