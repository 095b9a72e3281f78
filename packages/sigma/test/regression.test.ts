import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findCases, runCase } from "../scripts/regression.ts";
import { corpora } from "./helpers.ts";

const root = join(corpora, "sigma-regression");

describe("SigmaHQ regression cases (events from the JSON beside each .evtx)", () => {
  it("detects every case", async () => {
    const cases = await findCases(root);
    expect(cases.length).toBeGreaterThan(100);
    const missed: string[] = [];
    for (const info of cases) {
      const result = await runCase(info, root, undefined);
      if (!result.detected) missed.push(`${result.name}: ${result.matches} matches via ${result.via} ${result.note ?? ""}`);
    }
    expect(missed).toEqual([]);
  });

  it("reports the rule's own finding with its selection for a known case", async () => {
    const info = join(root, "rules/windows/process_creation/proc_creation_win_curl_custom_user_agent/info.yml");
    const result = await runCase(info, root, undefined);
    expect(result).toMatchObject({ detected: true, matches: 1, expected: 1, via: "json" });
  });
});
