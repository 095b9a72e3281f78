// Collects every Linux artifact on this machine once and prints rows, wall time, CPU time and RSS per artifact:
//   npm run bench:collect -w @corvid/agent-native
import { collectRows } from "../src/collect.ts";
import { loadDefaultCatalog } from "../src/default-catalog.ts";

const catalog = await loadDefaultCatalog();
let totalCpuMs = 0;
for (const [name, artifact] of catalog) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { rows, problems, files } = await collectRows(artifact);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  totalCpuMs += cpuMs;
  console.log(
    `${name.padEnd(30)} rows: ${String(rows.length).padStart(5)}, files: ${files.length}, problems: ${problems.length}, wall ms: ${wallMs.toFixed(0)}, cpu ms: ${cpuMs.toFixed(0)}, rss MiB: ${(process.memoryUsage.rss() / 1048576).toFixed(0)}`,
  );
}
console.log(`artifacts: ${catalog.size}, total cpu ms: ${totalCpuMs.toFixed(0)}, max rss MiB: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
