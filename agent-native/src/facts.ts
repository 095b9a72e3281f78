import { readFileSync } from "node:fs";
import os from "node:os";
import type { AssetFacts } from "@corvid/protocol";
import { parseBootTime } from "./parsers/proc.ts";
import { parseOsRelease } from "./sources/linux.sysinfo.ts";

export const AGENT_VERSION = "0.1.0";

/** CPU share of this process between two samples (100 = one core busy), for the check-in facts. */
export class ResourceMeter {
  #lastCpu = process.cpuUsage();
  #lastTime = performance.now();

  sample(): AssetFacts["resources"] {
    const cpu = process.cpuUsage(this.#lastCpu);
    const now = performance.now();
    const elapsedMs = Math.max(now - this.#lastTime, 1);
    this.#lastCpu = process.cpuUsage();
    this.#lastTime = now;
    const memory = process.memoryUsage();
    return {
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
      rssBytes: memory.rss,
      heapBytes: memory.heapUsed,
    };
  }
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

const ZERO_MAC = "00:00:00:00:00:00";

/** What the console shows about this host; gathered cheaply on every check-in. */
export function gatherFacts(meter: ResourceMeter, tags: readonly string[]): AssetFacts {
  const osRelease = parseOsRelease(readOptional("/etc/os-release") ?? "");
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  const external = addresses.filter((address) => !address.internal);
  const procStat = readOptional("/proc/stat");
  const machineId = readOptional("/etc/machine-id")?.trim();
  return {
    hostname: os.hostname(),
    ...(machineId ? { machineId } : {}),
    platform: "linux",
    os: { name: osRelease.get("NAME") ?? os.type(), version: osRelease.get("VERSION_ID") ?? osRelease.get("VERSION") ?? "", kernel: os.release() },
    arch: os.arch(),
    agentVersion: AGENT_VERSION,
    ips: [...new Set((external.length > 0 ? external : addresses).map((address) => address.address))].slice(0, 256),
    macs: [...new Set(external.map((address) => address.mac).filter((mac) => mac !== ZERO_MAC))].slice(0, 256),
    ...(procStat ? { bootTime: new Date(parseBootTime(procStat) * 1000).toISOString() } : {}),
    resources: meter.sample(),
    ...(tags.length > 0 ? { tags: [...tags] } : {}),
  };
}
