import type { Row } from "./types.ts";

// Every API here is optional: chrome.system.* needs its permission, chrome.enterprise.* exists only for
// force-installed extensions (device attributes and networking only on affiliated ChromeOS). Each is
// feature-detected, and a failure of one is recorded in feature_errors instead of failing the artifact.

type Callback<T> = (result: T) => void;
/** A Chrome API function in either style: promise-returning (MV3) or callback with runtime.lastError. */
type ChromeFunction<T> = (callback?: Callback<T>) => Promise<T> | void;

export interface DeviceApi {
  runtime: { getPlatformInfo(): Promise<{ os: string; arch: string }>; lastError?: { message?: string } | undefined };
  system?: {
    cpu?: { getInfo: ChromeFunction<{ modelName: string; numOfProcessors: number; archName: string }> };
    memory?: { getInfo: ChromeFunction<{ capacity: number; availableCapacity: number }> };
    storage?: { getInfo: ChromeFunction<{ id: string; name: string; type: string; capacity: number }[]> };
  };
  enterprise?: {
    deviceAttributes?: {
      getDirectoryDeviceId?: ChromeFunction<string>;
      getDeviceSerialNumber?: ChromeFunction<string>;
      getDeviceAssetId?: ChromeFunction<string>;
      getDeviceAnnotatedLocation?: ChromeFunction<string>;
      getDeviceHostname?: ChromeFunction<string>;
    };
    hardwarePlatform?: { getHardwarePlatformInfo?: ChromeFunction<{ manufacturer: string; model: string }> };
    networkingAttributes?: { getNetworkDetails?: ChromeFunction<{ macAddress: string; ipv4?: string; ipv6?: string }> };
  };
}

export interface UserAgentInfo {
  userAgent: string;
  brands: { brand: string; version: string }[];
  platformVersion?: string;
}

function callChrome<T>(api: DeviceApi, fn: ChromeFunction<T>, self: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const returned = fn.call(self, (result: T) => {
      const lastError = api.runtime.lastError;
      if (lastError) reject(new Error(lastError.message ?? "chrome API error"));
      else resolve(result);
    });
    if (returned instanceof Promise) returned.then(resolve, reject);
  });
}

const OS_NAMES: Record<string, string> = { cros: "ChromeOS", linux: "Linux", win: "Windows", mac: "macOS", android: "Android", openbsd: "OpenBSD", fuchsia: "Fuchsia" };

/** The browser brand that names the product (Chrome, Chromium, Edge…), not the "Not A;Brand" filler. */
export function browserBrand(info: UserAgentInfo): { name: string; version: string } {
  const real = info.brands.filter((brand) => !/not.?a.?brand/i.test(brand.brand));
  const named = real.find((brand) => brand.brand !== "Chromium") ?? real[0];
  if (named) return { name: named.brand, version: named.version };
  const match = /Chrome\/([\d.]+)/.exec(info.userAgent);
  return { name: "Chrome", version: match?.[1] ?? "unknown" };
}

export async function readUserAgent(): Promise<UserAgentInfo> {
  const data = (navigator as Navigator & { userAgentData?: { getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[]; platformVersion?: string }> } }).userAgentData;
  if (!data) return { userAgent: navigator.userAgent, brands: [] };
  const values = await data.getHighEntropyValues(["fullVersionList", "platformVersion"]);
  return { userAgent: navigator.userAgent, brands: values.fullVersionList ?? [], ...(values.platformVersion ? { platformVersion: values.platformVersion } : {}) };
}

export async function collectDevice(api: DeviceApi, userAgent: UserAgentInfo): Promise<Row> {
  const errors: Record<string, string> = {};
  const attempt = async <T>(name: string, owner: unknown, fn: ChromeFunction<T> | undefined): Promise<T | undefined> => {
    if (!fn) return undefined;
    try {
      return await callChrome(api, fn, owner);
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      return undefined;
    }
  };
  const platform = await api.runtime.getPlatformInfo();
  const cpu = await attempt("system.cpu", api.system?.cpu, api.system?.cpu?.getInfo);
  const memory = await attempt("system.memory", api.system?.memory, api.system?.memory?.getInfo);
  const storage = await attempt("system.storage", api.system?.storage, api.system?.storage?.getInfo);
  const attributes = api.enterprise?.deviceAttributes;
  const hardware = api.enterprise?.hardwarePlatform;
  const networking = api.enterprise?.networkingAttributes;
  const brand = browserBrand(userAgent);
  return {
    browser_name: brand.name,
    browser_version: brand.version,
    user_agent: userAgent.userAgent,
    os: OS_NAMES[platform.os] ?? platform.os,
    os_version: userAgent.platformVersion ?? null,
    arch: platform.arch,
    cpu_model: cpu?.modelName ?? null,
    cpu_count: cpu?.numOfProcessors ?? null,
    memory_capacity_bytes: memory?.capacity ?? null,
    memory_available_bytes: memory?.availableCapacity ?? null,
    storage_units: storage?.map((unit) => ({ id: unit.id, name: unit.name, type: unit.type, capacity: unit.capacity })) ?? null,
    directory_device_id: (await attempt("enterprise.deviceAttributes.getDirectoryDeviceId", attributes, attributes?.getDirectoryDeviceId)) || null,
    serial_number: (await attempt("enterprise.deviceAttributes.getDeviceSerialNumber", attributes, attributes?.getDeviceSerialNumber)) || null,
    asset_id: (await attempt("enterprise.deviceAttributes.getDeviceAssetId", attributes, attributes?.getDeviceAssetId)) || null,
    annotated_location: (await attempt("enterprise.deviceAttributes.getDeviceAnnotatedLocation", attributes, attributes?.getDeviceAnnotatedLocation)) || null,
    device_hostname: (await attempt("enterprise.deviceAttributes.getDeviceHostname", attributes, attributes?.getDeviceHostname)) || null,
    ...hardwareFields(await attempt("enterprise.hardwarePlatform", hardware, hardware?.getHardwarePlatformInfo)),
    network: (await attempt("enterprise.networkingAttributes", networking, networking?.getNetworkDetails)) ?? null,
    feature_errors: errors,
  };
}

function hardwareFields(info: { manufacturer: string; model: string } | undefined): Row {
  return { hardware_manufacturer: info?.manufacturer || null, hardware_model: info?.model || null };
}
