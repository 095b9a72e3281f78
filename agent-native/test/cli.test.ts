import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const agentBin = resolve(import.meta.dirname, "../bin/corvid-agent.mjs");
const scratch = mkdtempSync(join(tmpdir(), "corvid-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runAgent(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [agentBin, ...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("corvid-agent CLI", () => {
  it("refuses plain http to a non-loopback console before doing anything", async () => {
    const result = await runAgent("enroll", "--console", "http://192.0.2.10:3000", "--token", "cvd_dt_x", "--state-dir", join(scratch, "a"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ConsoleUrlError: refusing plain http:\/\/ to 192\.0\.2\.10/);
  }, 120_000);

  it("explains bad usage with exit code 2 and a missing enrollment with exit code 3", async () => {
    const usage = await runAgent("enroll", "--console", "https://console.example");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/enroll needs --console URL and --token TOKEN/);
    const status = await runAgent("status", "--state-dir", join(scratch, "empty"));
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/not enrolled/);
  }, 120_000);

  it("collects an artifact locally as JSONL", async () => {
    const result = await runAgent("collect", "Linux.Sys.Users");
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { username: string });
    expect(rows.map((row) => row.username)).toContain("root");
  }, 120_000);
});
