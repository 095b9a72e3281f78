import { beforeEach, describe, expect, it } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { MANUAL_SETTINGS_KEY, readSettings, waitForPolicy } from "../src/lib/policy.ts";

const TOKEN = `cvd_dt_${"a".repeat(52)}`;

describe("enrollment settings from policy", () => {
  beforeEach(() => fakeBrowser.reset());

  it("reports no settings when neither policy nor manual settings exist", async () => {
    expect(await readSettings(fakeBrowser)).toEqual({ source: "none" });
  });

  it("takes managed policy over settings entered by hand", async () => {
    await fakeBrowser.storage.local.set({ [MANUAL_SETTINGS_KEY]: { consoleUrl: "https://user.example", deploymentToken: TOKEN } });
    await fakeBrowser.storage.managed.set({ consoleUrl: "https://admin.example", deploymentToken: TOKEN, tags: ["fleet"] });
    expect(await readSettings(fakeBrowser)).toEqual({
      source: "managed",
      settings: { consoleUrl: "https://admin.example", deploymentToken: TOKEN, tags: ["fleet"] },
    });
  });

  it("falls back to manual settings when there is no policy", async () => {
    await fakeBrowser.storage.local.set({ [MANUAL_SETTINGS_KEY]: { consoleUrl: "http://127.0.0.1:3000", deploymentToken: TOKEN } });
    expect(await readSettings(fakeBrowser)).toMatchObject({ source: "manual", settings: { consoleUrl: "http://127.0.0.1:3000" } });
  });

  it("names the broken field of an unusable policy instead of ignoring it", async () => {
    await fakeBrowser.storage.managed.set({ consoleUrl: "https://admin.example", tags: "not-a-list" });
    const result = await readSettings(fakeBrowser);
    expect(result.source).toBe("invalid-policy");
    expect(result.source === "invalid-policy" && result.problem).toMatch(/deploymentToken|tags/);
  });

  it("treats a managed store that rejects (no schema, other browsers) as no policy", async () => {
    const api = { storage: { managed: { get: () => Promise.reject(new Error("Managed storage manifest not found")) }, local: fakeBrowser.storage.local } };
    expect(await readSettings(api)).toEqual({ source: "none" });
  });

  it("waits for policy that lands after start-up", async () => {
    const waiting = waitForPolicy(fakeBrowser, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fakeBrowser.storage.managed.set({ consoleUrl: "https://late.example", deploymentToken: TOKEN });
    expect(await waiting).toMatchObject({ source: "managed", settings: { consoleUrl: "https://late.example" } });
  });

  it("gives up waiting after the timeout with what it has", async () => {
    expect(await waitForPolicy(fakeBrowser, 50)).toEqual({ source: "none" });
  });
});
