// Compares Corvid's EVTX parser with libevtx's `evtxexport -f xml`, record by record, over every *.evtx
// under a directory: EventRecordID, TimeCreated, EventID, provider, channel, computer and every EventData
// value. Usage: npm run eval:evtx -- DIR
// Last line: `evtx-agreement: R of N records agree, F files failed` (N = records evtxexport exports).
import { execFile } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { type EvtxEvent, parseEvtx } from "../src/evtx.ts";

const run = promisify(execFile);

/** The fields compared, as normalised strings. */
interface Fields {
  recordId: string;
  time: string;
  eventId: string;
  provider: string;
  channel: string;
  computer: string;
  data: Map<string, string>;
}

async function* evtxFiles(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* evtxFiles(path);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith(".evtx")) yield path;
  }
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-f]+));/gi, (_, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCharCode(Number(dec));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }[name.toLowerCase()] ?? `&${name};`;
  });
}

/**
 * Normalises the representation differences between the two tools, not the content:
 * evtxexport zero-pads hex integers (0x00000000000003e7 vs 0x3e7), wraps GUIDs in braces, and prints
 * times with 9 fraction digits (Corvid's JSON: 6, like omerbenamram/evtx) and writes CR LF as LF. An
 * absent value and an empty one are the same.
 */
function normalize(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(normalize).join(",");
  let text = String(value).replace(/\r\n/g, "\n");
  if (/^0x[0-9a-f]+$/i.test(text)) return `0x${BigInt(text).toString(16)}`;
  const guid = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i.exec(text);
  if (guid) return guid[1]!.toUpperCase();
  const time = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(text);
  if (time) text = `${time[1]}.${(time[2] ?? "").padEnd(6, "0").slice(0, 6)}Z`;
  return text;
}

/** Keys for EventData values: `Name` of named Data (repeats suffixed _1 …), `#N` for unnamed Data, `Binary`. */
function addData(data: Map<string, string>, name: string, value: unknown): void {
  let key = name;
  for (let n = 1; data.has(key); n++) key = `${name}_${n}`;
  data.set(key, normalize(value));
}

function fromEvtxexport(xml: string): Fields {
  const pick = (re: RegExp) => decodeXml(re.exec(xml)?.[1] ?? "");
  const data = new Map<string, string>();
  const eventData = /<EventData(?: [^>]*)?>([\s\S]*?)<\/EventData>/.exec(xml)?.[1] ?? "";
  let unnamed = 0;
  for (const m of eventData.matchAll(/<(Data|Binary)((?: [^>]*?)?)(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
    const name = /Name="([^"]*)"/.exec(m[2] ?? "")?.[1];
    const value = decodeXml(m[3] ?? "");
    if (m[1] === "Binary") addData(data, "Binary", value);
    else if (name !== undefined) addData(data, decodeXml(name), value);
    else addData(data, `#${unnamed++}`, value);
  }
  return {
    recordId: pick(/<EventRecordID>(\d+)<\/EventRecordID>/),
    time: normalize(pick(/<TimeCreated SystemTime="([^"]*)"/)),
    eventId: pick(/<EventID(?: [^>]*)?>(\d+)<\/EventID>/),
    provider: pick(/<Provider Name="([^"]*)"/),
    channel: pick(/<Channel>([^<]*)<\/Channel>/),
    computer: pick(/<Computer>([^<]*)<\/Computer>/),
    data,
  };
}

function textOf(value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) return (value as Record<string, unknown>)["#text"];
  return value;
}

function attribute(value: unknown, name: string): unknown {
  const attributes = (value as { "#attributes"?: Record<string, unknown> } | undefined)?.["#attributes"];
  return attributes?.[name];
}

function fromCorvid(event: EvtxEvent): Fields {
  const root = (event.Event ?? {}) as Record<string, unknown>;
  const system = (root.System ?? {}) as Record<string, unknown>;
  const data = new Map<string, string>();
  const eventData = root.EventData;
  if (eventData && typeof eventData === "object" && !Array.isArray(eventData)) {
    for (const [key, value] of Object.entries(eventData as Record<string, unknown>)) {
      if (key === "#attributes") continue;
      const name = key.replace(/_\d+$/, "");
      if (key === "Data") {
        const text = textOf(value);
        const values = Array.isArray(text) ? text : [text];
        values.forEach((v, i) => addData(data, `#${i}`, v));
      } else if (name === "Binary") addData(data, "Binary", textOf(value));
      else data.set(key, normalize(textOf(value)));
    }
  }
  return {
    recordId: normalize(textOf(system.EventRecordID)),
    time: normalize(attribute(system.TimeCreated, "SystemTime")),
    eventId: normalize(textOf(system.EventID)),
    provider: normalize(attribute(system.Provider, "Name")),
    channel: normalize(textOf(system.Channel)),
    computer: normalize(textOf(system.Computer)),
    data,
  };
}

function differences(reference: Fields, corvid: Fields): string[] {
  const diffs: string[] = [];
  for (const key of ["recordId", "time", "eventId", "provider", "channel", "computer"] as const) {
    if (reference[key] !== corvid[key]) diffs.push(`${key}: evtxexport=${JSON.stringify(reference[key])} corvid=${JSON.stringify(corvid[key])}`);
  }
  for (const key of new Set([...reference.data.keys(), ...corvid.data.keys()])) {
    const a = reference.data.get(key) ?? "";
    const b = corvid.data.get(key) ?? "";
    if (a !== b) diffs.push(`EventData.${key}: evtxexport=${JSON.stringify(a.slice(0, 120))} corvid=${JSON.stringify(b.slice(0, 120))}`);
  }
  return diffs;
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? "../shared/corpora");
  let total = 0;
  let agree = 0;
  let failedFiles = 0;
  let files = 0;
  let corvidOnly = 0;
  for await (const file of evtxFiles(dir)) {
    files++;
    const name = relative(dir, file);
    let stdout: string;
    try {
      stdout = (await run("evtxexport", ["-f", "xml", file], { maxBuffer: 1 << 30, encoding: "utf8" })).stdout;
    } catch (error) {
      // evtxexport stops at the first record it cannot read; the records it printed before still count.
      const { stdout: partial = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      failedFiles++;
      stdout = partial;
      console.log(`FAIL ${name}: evtxexport: ${stderr.split("\n").find((l) => l.startsWith("lib")) ?? "failed"}`);
    }
    const reference = [...stdout.matchAll(/<Event[ >][\s\S]*?<\/Event>/g)].map((m) => fromEvtxexport(m[0]));
    const corvid = new Map<string, Fields[]>();
    let corvidErrors = 0;
    try {
      const stream = parseEvtx(await readFile(file), { format: "object" });
      for await (const item of stream) {
        if (!item.ok) {
          corvidErrors++;
          continue;
        }
        const fields = fromCorvid(item.record);
        const list = corvid.get(fields.recordId) ?? [];
        list.push(fields);
        corvid.set(fields.recordId, list);
      }
    } catch (error) {
      failedFiles++;
      console.log(`FAIL ${name}: corvid: ${String(error)}`);
      continue;
    }
    let fileAgree = 0;
    let shown = 0;
    for (const ref of reference) {
      total++;
      const candidates = corvid.get(ref.recordId) ?? [];
      // Dirty logs can hold a record id twice (a stale copy in a later chunk): take the first that matches.
      const index = candidates.findIndex((c) => differences(ref, c).length === 0);
      if (index >= 0) {
        candidates.splice(index, 1);
        fileAgree++;
        continue;
      }
      if (shown++ < 3) {
        const diffs = candidates[0] ? differences(ref, candidates[0]) : ["missing in corvid"];
        console.log(`DIFF ${name} record ${ref.recordId}: ${diffs.slice(0, 4).join("; ")}`);
      }
    }
    agree += fileAgree;
    const extra = [...corvid.values()].reduce((n, l) => n + l.length, 0);
    corvidOnly += extra;
    if (fileAgree < reference.length || corvidErrors > 0) {
      console.log(`     ${name}: ${fileAgree}/${reference.length} agree, corvid errors ${corvidErrors}, corvid-only records ${extra}`);
    }
  }
  console.log(`${files} files; records Corvid returned that evtxexport did not export (BinXML it cannot read, partial chunks): ${corvidOnly}`);
  console.log(`evtx-agreement: ${agree} of ${total} records agree, ${failedFiles} files failed`);
}

await main();
