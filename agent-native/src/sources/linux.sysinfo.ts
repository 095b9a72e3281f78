import os from "node:os";
import { z } from "zod";
import { parseBootTime } from "../parsers/proc.ts";
import { readOptionalText, type SourceKind } from "./source.ts";

const args = z.strictObject({
  os_release_path: z.string().default("/etc/os-release"),
  proc_root: z.string().default("/proc"),
  machine_id_path: z.string().default("/etc/machine-id"),
});

/** Parses os-release(5): shell-style `KEY=value` with optional quotes. */
export function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    values.set(match[1]!, match[2]!.replace(/^(["'])(.*)\1$/, "$2").replace(/\\(.)/g, "$1"));
  }
  return values;
}

export const linuxSysInfo: SourceKind<z.infer<typeof args>> = {
  kind: "linux.sysinfo",
  description: "One row describing the host: names, OS release, kernel, hardware, boot time, addresses.",
  args,
  async *collect(options, context) {
    const osRelease = parseOsRelease((await readOptionalText(context, options.os_release_path)) ?? "");
    const procStat = await readOptionalText(context, `${options.proc_root}/stat`);
    const kernelVersion = await readOptionalText(context, `${options.proc_root}/sys/kernel/version`);
    const machineId = await readOptionalText(context, options.machine_id_path);
    const cpus = os.cpus();
    const interfaces = Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) =>
      (addresses ?? []).map((address) => ({ interface: name, address: address.address, family: address.family, mac: address.mac, internal: address.internal })),
    );
    yield {
      hostname: os.hostname(),
      os_name: osRelease.get("NAME") ?? os.type(),
      os_version: osRelease.get("VERSION_ID") ?? osRelease.get("VERSION") ?? null,
      os_pretty_name: osRelease.get("PRETTY_NAME") ?? null,
      kernel_release: os.release(),
      kernel_version: kernelVersion?.trim() ?? null,
      arch: os.arch(),
      machine_id: machineId?.trim() || null,
      boot_time: procStat === null ? null : new Date(parseBootTime(procStat) * 1000).toISOString(),
      uptime_sec: Math.round(os.uptime()),
      cpu_model: cpus[0]?.model ?? null,
      cpu_count: cpus.length,
      memory_total_bytes: os.totalmem(),
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      interfaces,
    };
  },
};
