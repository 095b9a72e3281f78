import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ENROLL_NOW_MESSAGE } from "../src/lib/policy.ts";
import { CHECKIN_ALARM, Responder } from "../src/lib/responder.ts";

describe("background service worker wiring", () => {
  // fakeBrowser.reset() also drops the listeners an earlier test's main() registered.
  beforeEach(() => {
    fakeBrowser.reset();
    // The worker's global scope, where the offscreen document posts the evidence-database port.
    vi.stubGlobal("self", new EventTarget());
  });

  async function startWorker() {
    const tick = vi.spyOn(Responder.prototype, "tick").mockResolvedValue({ outcome: "unconfigured" });
    const background = (await import("../src/entrypoints/background.ts")).default;
    background.main();
    await vi.waitFor(() => expect(tick).toHaveBeenCalled());
    return tick;
  }

  it("checks in at start when no check-in alarm is pending", async () => {
    const tick = await startWorker();
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it("ticks on the check-in alarm, on late managed policy and on the options page's message, not on other changes", async () => {
    const tick = await startWorker();
    tick.mockClear();
    await fakeBrowser.alarms.onAlarm.trigger({ name: CHECKIN_ALARM, scheduledTime: Date.now() });
    await fakeBrowser.alarms.onAlarm.trigger({ name: "something-else", scheduledTime: Date.now() });
    expect(tick).toHaveBeenCalledTimes(1);
    await fakeBrowser.storage.local.set({ unrelated: 1 });
    expect(tick).toHaveBeenCalledTimes(1);
    await fakeBrowser.storage.managed.set({ consoleUrl: "https://late.example" });
    await vi.waitFor(() => expect(tick).toHaveBeenCalledTimes(2));
    await fakeBrowser.runtime.sendMessage({ type: ENROLL_NOW_MESSAGE });
    expect(tick).toHaveBeenCalledTimes(3);
  });
});
