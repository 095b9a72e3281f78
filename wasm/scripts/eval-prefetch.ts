// Compares Corvid's Prefetch parser with libscca's `sccainfo` on every *.pf under a directory.
// Usage: npm run eval:prefetch -- DIR
// A file agrees when both reject it, or when both parse it and give the same format version,
// executable name, hash, run count, last run times, volumes (device path, creation time, serial)
// and filename strings. The last line is `prefetch-agreement: R of N files agree`.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ParseError } from "../src/errors.ts";
import { PrefetchParser, type PrefetchInfo } from "../src/prefetch.ts";

const run = promisify(execFile);

/** The fields both tools report, in one comparable shape. */
interface Summary {
  version: number;
  executableName: string;
  hash: string;
  runCount: number;
  lastRunTimes: string[];
  volumes: { devicePath: string; creationTime: string | null; serialNumber: string }[];
  filenames: string[];
}

type Outcome = { ok: true; summary: Summary } | { ok: false; error: string };

export function findPrefetchFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.toLowerCase().endsWith(".pf"))
    .map((name) => join(dir, name))
    .sort();
}

function summariseCorvid(pf: PrefetchInfo): Summary {
  return {
    version: pf.version,
    executableName: pf.executableName,
    hash: pf.hashHex.toLowerCase(),
    runCount: pf.runCount,
    lastRunTimes: pf.lastRunTimes,
    volumes: pf.volumes.map((v) => ({
      devicePath: v.devicePath,
      creationTime: v.creationTime,
      serialNumber: v.serialNumber.toString(16).padStart(8, "0"),
    })),
    filenames: pf.filenames,
  };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "May 14, 2015 22:11:58.091134100 UTC" to Corvid's "2015-05-14T22:11:58.0911341Z"; "Not set (0)" to null. */
function sccainfoTime(text: string): string | null {
  if (text.startsWith("Not set")) return null;
  const match = /^(\w{3}) (\d{1,2}), (\d{4}) (\d\d:\d\d:\d\d)\.(\d{7})\d* UTC$/.exec(text);
  if (!match) return `unparsed: ${text}`;
  const [, month = "", day = "", year = "", clock = "", ticks = ""] = match;
  const monthNumber = String(MONTHS.indexOf(month) + 1).padStart(2, "0");
  return `${year}-${monthNumber}-${day.padStart(2, "0")}T${clock}.${ticks}Z`;
}

/** Reads sccainfo's report: tab-indented "key<tabs>: value" lines under section headings. */
export function parseSccainfoReport(report: string): Summary {
  const summary: Summary = { version: 0, executableName: "", hash: "", runCount: 0, lastRunTimes: [], volumes: [], filenames: [] };
  let volume: Summary["volumes"][number] | undefined;
  for (const line of report.split("\n")) {
    if (/^Volume: \d+ information:$/.test(line)) {
      volume = { devicePath: "", creationTime: null, serialNumber: "" };
      summary.volumes.push(volume);
      continue;
    }
    const field = /^\t(.+?)\t+: (.*)$/.exec(line);
    if (!field) continue;
    const [, key = "", value = ""] = field;
    if (key === "Format version") summary.version = Number(value);
    else if (key === "Prefetch hash") summary.hash = value.replace(/^0x/, "");
    else if (key === "Executable filename") summary.executableName = value;
    else if (key === "Run count") summary.runCount = Number(value);
    else if (key.startsWith("Last run time")) {
      const time = sccainfoTime(value);
      if (time !== null) summary.lastRunTimes.push(time);
    } else if (key.startsWith("Filename: ")) summary.filenames.push(value);
    else if (volume && key === "Device path") volume.devicePath = value;
    else if (volume && key === "Creation time") volume.creationTime = sccainfoTime(value);
    else if (volume && key === "Serial number") volume.serialNumber = value.replace(/^0x/, "");
  }
  return summary;
}

async function runSccainfo(file: string): Promise<Outcome> {
  try {
    const { stdout } = await run("sccainfo", [file], { maxBuffer: 64 << 20 });
    return { ok: true, summary: parseSccainfoReport(stdout) };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? error);
    const reason = stderr.split("\n").find((l) => l.startsWith("libscca_") && !l.includes("unable to")) ?? stderr.split("\n")[1];
    return { ok: false, error: reason?.trim() ?? "failed" };
  }
}

function runCorvid(parser: PrefetchParser, file: string): Outcome {
  try {
    return { ok: true, summary: summariseCorvid(parser.parse(readFileSync(file))) };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The first differing field, or null when the two summaries agree. */
function firstDifference(corvid: Summary, reference: Summary): string | null {
  for (const key of Object.keys(corvid) as (keyof Summary)[]) {
    const ours = JSON.stringify(corvid[key]);
    const theirs = JSON.stringify(reference[key]);
    if (ours !== theirs) return `${key}: corvid ${ours.slice(0, 300)} / sccainfo ${theirs.slice(0, 300)}`;
  }
  return null;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: npm run eval:prefetch -- DIR");
    process.exit(2);
  }
  const root = resolve(dir);
  const files = findPrefetchFiles(root);
  const parser = await PrefetchParser.create();
  let agreeing = 0;
  for (const file of files) {
    const name = relative(root, file);
    const [corvid, reference] = [runCorvid(parser, file), await runSccainfo(file)];
    let verdict: string | null;
    if (corvid.ok && reference.ok) verdict = firstDifference(corvid.summary, reference.summary);
    else if (!corvid.ok && !reference.ok) verdict = null;
    else if (corvid.ok && !reference.ok) verdict = `sccainfo failed (${reference.error}); corvid parsed version ${corvid.summary.version}`;
    else verdict = `corvid failed (${corvid.ok ? "" : corvid.error}); sccainfo parsed it`;
    if (verdict === null) {
      agreeing++;
      console.log(`agree     ${name}${corvid.ok ? "" : " (both reject it)"}`);
    } else {
      console.log(`DISAGREE  ${name}: ${verdict}`);
    }
  }
  console.log(`prefetch-agreement: ${agreeing} of ${files.length} files agree`);
}

// The bench imports this module for its file walk; only run the eval when started as a script.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
