// corvid-parse for lnk and regf, run as a real process like a user would.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { artifactsDir, corpusPresent } from "./lnk-corpus.ts";

const run = promisify(execFile);
const cli = join(import.meta.dirname, "../bin/corvid-parse.mjs");

async function corvidParse(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 1 << 28 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const { stdout = "", stderr = "", code = -1 } = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout, stderr, code };
  }
}

describe.skipIf(!corpusPresent)("corvid-parse lnk and regf", () => {
  it("lnk: one JSON record; a file that is not a link is an error with exit code 1", async () => {
    const good = await corvidParse(["lnk", join(artifactsDir, "plaso/NeroInfoTool.lnk")]);
    const info = JSON.parse(good.stdout) as { localPath: string; tracker: { macAddress: string } };
    expect(info.localPath).toBe("C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe");
    expect(info.tracker.macAddress).toBe("70:5a:b6:16:a5:f3");
    expect(good.stderr).toContain("lnk: 1 records ok, 0 errors");
    expect(good.code).toBe(0);
    const bad = await corvidParse(["lnk", join(artifactsDir, "ez-lnk/Bad/$I2GXWHL.test")]);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("error: lnk: shell link header at offset 0x0: invalid signature");
    expect(bad.stderr).toContain("lnk: 0 records ok, 1 errors");
    expect(bad.code).toBe(1);
  });

  it("regf: one key per line, damaged cells on stderr, --format json an array", async () => {
    const corrupt = await corvidParse(["regf", join(artifactsDir, "plaso/regf/corrupt_sub_key_list.hiv")]);
    const lines = corrupt.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(100);
    expect((JSON.parse(lines[0]!) as { name: string }).name).toBe("TestKey");
    expect(corrupt.stderr).toContain("error: regf: nk cell at offset 0x5480: bad size");
    expect(corrupt.stderr).toContain("regf: 100 records ok, 1 errors");
    expect(corrupt.code).toBe(1);
    const json = await corvidParse(["regf", join(artifactsDir, "plaso/regf/NTUSER.DAT"), "--format", "json"]);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(1597);
    expect(json.code).toBe(0);
  });
});
