import { describe, expect, it } from "vitest";
import { CPU_WINDOW_MS, CpuPacer, ProtocolError } from "../src/index.ts";

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) Math.sqrt(Math.random());
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

describe("CpuPacer", () => {
  it("waits for a whole window before measuring, then pauses so busy time is the allowed share", async () => {
    const pacer = new CpuPacer(25, () => performance.now());
    expect(await pacer.pace()).toBe(false);
    busyFor(CPU_WINDOW_MS + 20);
    let windowEnded = false;
    const paused = await timed(async () => (windowEnded = await pacer.pace()));
    expect(windowEnded).toBe(true);
    // 220 ms busy at 25 %: 880 ms in all, so about 660 ms of pause.
    expect(paused).toBeGreaterThan(600);
    expect(paused).toBeLessThan(1_500);
  });

  it("does not pause when the measured CPU time stayed within the share", async () => {
    let cpuMs = 0;
    const pacer = new CpuPacer(10, () => cpuMs);
    busyFor(CPU_WINDOW_MS + 10);
    cpuMs += 5;
    expect(await timed(() => pacer.pace())).toBeLessThan(50);
  });

  it("cuts a pause short with the signal's reason", async () => {
    const controller = new AbortController();
    const pacer = new CpuPacer(1, () => performance.now(), controller.signal);
    busyFor(CPU_WINDOW_MS + 10);
    const pausing = pacer.pace();
    controller.abort(new Error("task timed out"));
    await expect(pausing).rejects.toThrow("task timed out");
    await expect(pacer.pace()).rejects.toThrow("task timed out");
  });

  it("rejects a share outside (0, 100] %", () => {
    expect(() => new CpuPacer(0, () => 0)).toThrow(ProtocolError);
    expect(() => new CpuPacer(150, () => 0)).toThrow(ProtocolError);
  });
});
