// Parses the same Prefetch files with Corvid (WASM, one thread, one reused instance, full result
// objects with decoded strings) and with libscca's `sccainfo`, one process per file as it is used
// from the command line. Usage: npm run bench:prefetch [-- DIR]  (default: the windows-artifacts corpus)
// The last line is `prefetch: corvid A files/s, sccainfo B files/s, ratio R`.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PrefetchParser } from "../src/prefetch.ts";
import { findPrefetchFiles } from "./eval-prefetch.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const CORVID_MIN_MS = 3000;
const SCCAINFO_MIN_MS = 6000;

function sccainfoParses(file: string): boolean {
  try {
    execFileSync("sccainfo", [file], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs `round` over the whole set until `minMs` have passed (at least `minRounds` times); files per second. */
function filesPerSecond(fileCount: number, minMs: number, minRounds: number, round: () => void): number {
  let rounds = 0;
  const started = performance.now();
  while (rounds < minRounds || performance.now() - started < minMs) {
    round();
    rounds++;
  }
  return (rounds * fileCount * 1000) / (performance.now() - started);
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? resolve(repoRoot, "../shared/corpora/windows-artifacts"));
  const parser = await PrefetchParser.create();
  // Only files both tools accept, so both sides do the same work.
  const files = findPrefetchFiles(dir).filter((file) => {
    try {
      parser.parse(readFileSync(file));
    } catch {
      return false;
    }
    return sccainfoParses(file);
  });
  if (files.length === 0) throw new Error(`no Prefetch file under ${dir} that both tools parse`);
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  console.log(`set: ${files.length} files (${(bytes / 1024).toFixed(0)} KiB) under ${dir} that both tools parse`);

  const corvid = filesPerSecond(files.length, CORVID_MIN_MS, 20, () => {
    for (const file of files) parser.parse(readFileSync(file));
  });
  console.log(`corvid: ${corvid.toFixed(0)} files/s (file read + parse + result objects, one wasm instance)`);

  // One sh per round spawns sccainfo once per file: the cheapest way to run it per file, so the ratio is
  // conservative. Spawning from Node (execFileSync per file) is slower still and is shown for scale.
  const shellLoop = 'for f in "$@"; do sccainfo "$f" > /dev/null || exit 1; done';
  const sccainfo = filesPerSecond(files.length, SCCAINFO_MIN_MS, 3, () => {
    execFileSync("sh", ["-c", shellLoop, "sh", ...files], { stdio: "ignore" });
  });
  console.log(`sccainfo: ${sccainfo.toFixed(0)} files/s (one process per file, spawned by a shell loop, output discarded)`);
  const fromNode = filesPerSecond(files.length, 2000, 1, () => {
    for (const file of files) execFileSync("sccainfo", [file], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
  });
  const trueFromShell = filesPerSecond(files.length, 2000, 1, () => {
    execFileSync("sh", ["-c", 'for f in "$@"; do /bin/true; done', "sh", ...files], { stdio: "ignore" });
  });
  console.log(
    `for scale: sccainfo spawned from Node per file ${fromNode.toFixed(0)} files/s; /bin/true from the same shell loop ${trueFromShell.toFixed(0)} processes/s`,
  );
  console.log(`prefetch: corvid ${corvid.toFixed(0)} files/s, sccainfo ${sccainfo.toFixed(0)} files/s, ratio ${(corvid / sccainfo).toFixed(1)}`);
}

await main();
