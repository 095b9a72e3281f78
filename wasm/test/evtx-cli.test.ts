import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, samples } from "./evtx-corpus.ts";

const run = promisify(execFile);
const cli = join(repoRoot, "wasm/bin/corvid-parse.mjs");

async function corvidParse(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 1 << 28 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const { stdout = "", stderr = "", code = -1 } = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout, stderr, code };
  }
}

describe("corvid-parse evtx", () => {
  it("writes one JSON record per line and the summary to stderr", async () => {
    const { stdout, stderr, code } = await corvidParse(["evtx", join(samples, "omerbenamram-evtx/security.evtx")]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.length).toBe(2261);
    expect((JSON.parse(lines[0]!) as { Event: { System: { EventID: number } } }).Event.System.EventID).toBe(4608);
    expect(stderr).toContain("evtx: 2261 records ok, 0 errors");
    expect(code).toBe(0);
  });

  it("--format json gives a JSON array, --format xml XML documents; errors go to stderr with exit code 1", async () => {
    const file = join(samples, "omerbenamram-evtx/sample-with-zero-data-size-event.evtx");
    const json = await corvidParse(["evtx", file, "--format", "json"]);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(335);
    expect(json.stderr).toMatch(/error: evtx: record header at offset 0x[0-9a-f]+: invalid record size/);
    expect(json.code).toBe(1);
    const xml = await corvidParse(["evtx", file, "--format", "xml"]);
    expect(xml.stdout.match(/^<\?xml /gm)?.length).toBe(335);
  });

  it("rejects unknown formats with usage and exit code 2", async () => {
    const { stderr, code } = await corvidParse(["nope", "file"]);
    expect(stderr).toMatch(/^usage: corvid-parse </);
    expect(code).toBe(2);
  });
});
