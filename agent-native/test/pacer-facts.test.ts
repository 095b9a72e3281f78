import { AssetFacts, ResourceLimitError } from "@corvid/protocol";
import { describe, expect, it } from "vitest";
import { gatherFacts, ResourceMeter } from "../src/facts.ts";
import { Pacer } from "../src/pacer.ts";

function burnCpu(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) Math.sqrt(Math.random());
}

describe("pacer", () => {
  it("fails the work when the agent's memory exceeds the task limit", async () => {
    const pacer = new Pacer({ cpuPercent: 100, memoryMb: 16 }, new AbortController().signal);
    burnCpu(250);
    await expect(pacer.pace()).rejects.toBeInstanceOf(ResourceLimitError);
  });

  it("stops pacing as soon as the task is aborted", async () => {
    const controller = new AbortController();
    const pacer = new Pacer({ cpuPercent: 1, memoryMb: 65_536 }, controller.signal);
    burnCpu(250);
    // At a 1 % limit, 250 ms of CPU would mean a long pause; the abort cuts it short.
    const pausing = pacer.pace();
    controller.abort(new Error("cancelled"));
    await expect(pausing).rejects.toThrow();
    await expect(pacer.pace()).rejects.toThrow("cancelled");
  });
});

describe("check-in facts", () => {
  it("match the protocol schema and report the agent's own CPU and memory", () => {
    const meter = new ResourceMeter();
    burnCpu(200);
    const facts = gatherFacts(meter, ["db", "prod"]);
    expect(AssetFacts.safeParse(facts).success).toBe(true);
    expect(facts).toMatchObject({ platform: "linux", agentVersion: "0.1.0", tags: ["db", "prod"] });
    expect(Number.isSafeInteger(facts.resources.rssBytes)).toBe(true);
    expect(facts.resources.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // 200 ms of busy loop within the sample window: clearly above zero.
    expect(facts.resources.cpuPercent).toBeGreaterThan(5);
  });
});
