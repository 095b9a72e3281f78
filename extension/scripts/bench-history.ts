// `npm run bench:extension`: seeds history visits in a fresh Chromium profile, then measures in one run the bare
// chrome.history reads and Corvid's full Browser.History collection into the sqlite-wasm evidence database (after one
// warm-up read, two alternating rounds of each; the faster run of each counts).
// Usage: tsx extension/scripts/bench-history.ts [visits=100000] [visitsPerUrl=4]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_ARGS, findChromium } from "@corvid/testing";
import { chromium, type Worker } from "playwright-core";

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const targetVisits = Number(process.argv[2] ?? 100_000);
const visitsPerUrl = Number(process.argv[3] ?? 4);
const urls = Math.ceil(targetVisits / visitsPerUrl);

/** Resident memory of Chromium's extension processes (the SW, the offscreen document and its worker live there). */
function extensionProcessRssBytes(): number {
  const lines = execFileSync("ps", ["-eo", "rss=,args="], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).split("\n");
  return lines.filter((line) => line.includes("--extension-process")).reduce((total, line) => total + Number(line.trim().split(/\s+/, 1)[0]) * 1024, 0);
}

async function sampled<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; peakRss: number }> {
  let peakRss = extensionProcessRssBytes();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, extensionProcessRssBytes())), 100);
  const started = performance.now();
  try {
    const result = await run();
    return { result, seconds: (performance.now() - started) / 1000, peakRss };
  } finally {
    clearInterval(sampler);
  }
}

type ChromeHistory = {
  addUrl(details: { url: string }): Promise<void>;
  search(query: { text: string; startTime: number; maxResults: number }): Promise<{ url?: string }[]>;
  getVisits(details: { url: string }): Promise<unknown[]>;
};
type Hooks = { chrome: { history: ChromeHistory }; corvid: { collectIntoEvidence(artifact: string, taskId: string): Promise<number>; evidenceCount(filter: { taskId: string }): Promise<number> } };

const work = mkdtempSync(path.join(tmpdir(), "corvid-ext-bench-"));
const outDir = path.join(work, "build");
try {
  execFileSync(process.execPath, [path.resolve(extensionDir, "../node_modules/wxt/bin/wxt.mjs"), "build"], { cwd: extensionDir, env: { ...process.env, CORVID_EXTENSION_OUT_DIR: outDir }, stdio: "pipe" });
  const unpacked = path.join(outDir, "chrome-mv3");
  const context = await chromium.launchPersistentContext(path.join(work, "profile"), {
    executablePath: findChromium(),
    headless: true,
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${unpacked}`, `--load-extension=${unpacked}`],
  });
  try {
    const worker: Worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 60_000 }));
    const seedStarted = performance.now();
    await worker.evaluate(
      async ({ urls, visitsPerUrl }) => {
        const api = (globalThis as unknown as Hooks).chrome.history;
        for (let start = 0; start < urls; start += 500) {
          const batch: Promise<void>[] = [];
          for (let index = start; index < Math.min(urls, start + 500); index++) {
            for (let visit = 0; visit < visitsPerUrl; visit++) batch.push(api.addUrl({ url: `https://site${index % 997}.example/page/${index}` }));
          }
          await Promise.all(batch);
        }
      },
      { urls, visitsPerUrl },
    );
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const baselineRss = extensionProcessRssBytes();

    const readAll = () =>
      worker.evaluate(async () => {
        const api = (globalThis as unknown as Hooks).chrome.history;
        const items = await api.search({ text: "", startTime: 0, maxResults: 1_000_000 });
        let visits = 0;
        for (let start = 0; start < items.length; start += 16) {
          const lists = await Promise.all(items.slice(start, start + 16).map((item) => api.getVisits({ url: item.url! })));
          for (const list of lists) visits += list.length;
        }
        return { urls: items.length, visits };
      });
    // Chromium's history database warms its cache on the first full read: one unmeasured read first, then two
    // rounds of each, alternating, and the faster of each counts.
    await readAll();
    const rounds = [0, 1];
    const apiRuns: Awaited<ReturnType<typeof sampled<{ urls: number; visits: number }>>>[] = [];
    const collectRuns: Awaited<ReturnType<typeof sampled<number>>>[] = [];
    for (const round of rounds) {
      apiRuns.push(await sampled(readAll));
      collectRuns.push(await sampled(() => worker.evaluate((taskId) => (globalThis as unknown as Hooks).corvid.collectIntoEvidence("Browser.History", taskId), `bench-${round}`)));
    }
    const fastest = <T extends { seconds: number }>(runs: T[]) => runs.reduce((best, run) => (run.seconds < best.seconds ? run : best));
    const apiOnly = { ...fastest(apiRuns), peakRss: Math.max(...apiRuns.map((run) => run.peakRss)) };
    const collect = { ...fastest(collectRuns), peakRss: Math.max(...collectRuns.map((run) => run.peakRss)) };
    const stored = await worker.evaluate(() => (globalThis as unknown as Hooks).corvid.evidenceCount({ taskId: "bench-1" }));
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    console.log(`seeded ${apiOnly.result.visits} visits of ${apiOnly.result.urls} URLs in ${seedSeconds.toFixed(1)} s; rows collected ${collect.result}, rows in sqlite-wasm ${stored}`);
    console.log(`extension processes RSS: before ${mib(baselineRss)} MiB, peak during api-only ${mib(apiOnly.peakRss)} MiB, peak during collect ${mib(collect.peakRss)} MiB`);
    console.log(
      `extension-history: ${apiOnly.result.visits} visits, collect ${collect.seconds.toFixed(2)} s, api-only ${apiOnly.seconds.toFixed(2)} s, ratio ${(collect.seconds / apiOnly.seconds).toFixed(2)}`,
    );
  } finally {
    await context.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
