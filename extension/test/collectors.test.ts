import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ArtifactCatalog, loadDefinitions, UnknownArtifactError, type BrowserApis } from "../src/collectors/catalog.ts";
import { collectCookies, CookieValuesNotAllowedError } from "../src/collectors/cookies.ts";
import { browserBrand, collectDevice, type DeviceApi } from "../src/collectors/device.ts";
import { collectDownloads } from "../src/collectors/downloads.ts";
import { collectExtensions, knownMaliciousIds, riskReasons } from "../src/collectors/extensions.ts";
import { collectHistory } from "../src/collectors/history.ts";
import { parseExtensionIdList } from "../src/collectors/malicious-list.ts";
import { collectTabs, collectTopSites } from "../src/collectors/tabs.ts";
import type { Row } from "../src/collectors/types.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const corpusList = path.resolve(repoRoot, "../shared/corpora/browser-artifacts/malicious-extension-ids/palant-list.txt");
const noValues = { allowCookieValues: false };
const T0 = Date.parse("2026-11-20T10:00:00Z");

function historyStubs() {
  vi.spyOn(fakeBrowser.history, "search").mockResolvedValue([
    { id: "1", url: "https://a.example/", title: "A", visitCount: 2, typedCount: 1, lastVisitTime: T0 + 1000 },
    { id: "2", url: "https://b.example/x", title: "B", visitCount: 1, typedCount: 0, lastVisitTime: T0 + 2000 },
    { id: "3", url: "https://old.example/", visitCount: 0, typedCount: 0, lastVisitTime: T0 - 1 },
  ]);
  vi.spyOn(fakeBrowser.history, "getVisits").mockImplementation(async ({ url }) => {
    if (url === "https://a.example/") {
      return [
        { id: "1", visitId: "10", visitTime: T0, referringVisitId: "0", transition: "typed", isLocal: true },
        { id: "1", visitId: "12", visitTime: T0 + 1000, referringVisitId: "0", transition: "reload", isLocal: true },
      ];
    }
    if (url === "https://b.example/x") return [{ id: "2", visitId: "11", visitTime: T0 + 2000, referringVisitId: "10", transition: "link", isLocal: true }];
    return [];
  });
}

describe("browser collectors", () => {
  beforeEach(() => fakeBrowser.reset());

  it("history: one row per visit with time, transition and referring visit; expired-visit URLs keep one row", async () => {
    historyStubs();
    const batches: Row[][] = [];
    await collectHistory(fakeBrowser, { parameters: { days: 30, max_urls: 10 }, policy: noValues }, async (rows) => void batches.push(rows));
    const rows = batches.flat();
    expect(rows).toHaveLength(4);
    expect(rows.find((row) => row.visit_id === "11")).toEqual({
      url_id: "2", url: "https://b.example/x", title: "B", visit_count: 1, typed_count: 0, last_visit_time: "2026-11-20T10:00:02.000Z",
      visit_id: "11", visit_time: "2026-11-20T10:00:02.000Z", transition: "link", referring_visit_id: "10", is_local: true,
    });
    expect(rows.find((row) => row.visit_id === "10")?.referring_visit_id).toBeNull();
    expect(rows.find((row) => row.url === "https://old.example/")).toMatchObject({ visit_id: null, transition: null, title: null });
    expect(fakeBrowser.history.search).toHaveBeenCalledWith(expect.objectContaining({ text: "", maxResults: 10 }));
  });

  it("history: stores batches of at least 2,000 rows while the next lookups run, and a failure waits for the batch in flight", async () => {
    const urls = Array.from({ length: 1_200 }, (_, index) => ({ id: String(index), url: `https://site.example/${index}`, lastVisitTime: 1 }));
    vi.spyOn(fakeBrowser.history, "search").mockResolvedValue(urls);
    vi.spyOn(fakeBrowser.history, "getVisits").mockImplementation(async ({ url }) => [
      { id: url, visitId: `${url}#1`, referringVisitId: "0", transition: "link", visitTime: 1 },
      { id: url, visitId: `${url}#2`, referringVisitId: "0", transition: "link", visitTime: 2 },
    ]);
    const sizes: number[] = [];
    await collectHistory(fakeBrowser, { parameters: {}, policy: noValues }, async (rows) => void sizes.push(rows.length));
    expect(sizes).toEqual([2_016, 384]);

    // The deadline passes while the first batch is still being stored: the collection fails only once it is stored.
    let storeFinished = false;
    let checkpoints = 0;
    const failing = collectHistory(
      fakeBrowser,
      {
        parameters: {},
        policy: noValues,
        checkpoint: async () => {
          if (++checkpoints === 63) throw new Error("deadline");
        },
      },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        storeFinished = true;
      },
    );
    await expect(failing).rejects.toThrow("deadline");
    expect(storeFinished).toBe(true);

    // A failed store fails the collection.
    await expect(collectHistory(fakeBrowser, { parameters: {}, policy: noValues }, async () => Promise.reject(new Error("disk full")))).rejects.toThrow("disk full");
  });

  it("downloads: URLs, file, MIME, size, danger, state and ISO times", async () => {
    vi.spyOn(fakeBrowser.downloads, "search").mockResolvedValue([
      {
        id: 7, url: "https://cdn.example/setup.exe", finalUrl: "https://cdn2.example/setup.exe", referrer: "https://a.example/", filename: "/home/u/Downloads/setup.exe",
        mime: "application/x-msdownload", totalBytes: 1234, fileSize: 1234, danger: "file", state: "complete", startTime: "2026-11-20T10:00:00.000Z",
        endTime: "2026-11-20T10:00:03.500Z", exists: true, incognito: false, paused: false, canResume: false, bytesReceived: 1234, estimatedEndTime: undefined,
      } as never,
    ]);
    const [row] = await collectDownloads(fakeBrowser, { parameters: { limit: 5 }, policy: noValues });
    expect(row).toMatchObject({ id: 7, final_url: "https://cdn2.example/setup.exe", referrer: "https://a.example/", mime: "application/x-msdownload", danger: "file", state: "complete", end_time: "2026-11-20T10:00:03.500Z", exists: true, by_extension_id: null });
    expect(fakeBrowser.downloads.search).toHaveBeenCalledWith({ orderBy: ["-startTime"], limit: 5 });
  });

  it("extensions: flags IDs on the known-malicious list and risky permission sets", async () => {
    const corpusIds = knownMaliciousIds({ known_malicious_ids: readFileSync(corpusList, "utf8").split("\n") });
    const malicious = [...corpusIds][0]!;
    vi.spyOn(fakeBrowser.management, "getAll").mockResolvedValue([
      { id: malicious, name: "Free VPN", version: "1.0", type: "extension", installType: "normal", enabled: true, mayDisable: true, permissions: ["storage"], hostPermissions: [] },
      { id: "a".repeat(32), name: "Spy", version: "2.0", type: "extension", installType: "normal", enabled: true, mayDisable: true, permissions: ["cookies", "webRequest"], hostPermissions: ["<all_urls>"] },
      { id: "b".repeat(32), name: "Notes", version: "3.0", type: "extension", installType: "admin", enabled: false, disabledReason: "unknown", mayDisable: false, permissions: ["storage"], hostPermissions: ["https://notes.example/*"] },
    ] as never);
    const rows = await collectExtensions(fakeBrowser, corpusIds);
    expect(rows.map((row) => [row.name, row.known_malicious, row.risky_permissions])).toEqual([["Free VPN", true, false], ["Spy", false, true], ["Notes", false, false]]);
    expect(rows[1]).toMatchObject({ install_type: "normal", host_permissions: ["<all_urls>"], risk_reasons: ["access to every site with cookies, webRequest"] });
    expect(rows[2]).toMatchObject({ enabled: false, disabled_reason: "unknown", install_type: "admin" });
    expect(riskReasons(["debugger"], [])).toEqual(["permission debugger"]);
    expect(riskReasons(["cookies"], ["https://one.example/*"])).toEqual([]);
  });

  it("reads a published malicious-ID list (comments skipped, IDs normalised) and takes the task's list only", () => {
    const fromCorpus = parseExtensionIdList(readFileSync(corpusList, "utf8"));
    expect(fromCorpus.length).toBeGreaterThan(100);
    expect([...knownMaliciousIds({ known_malicious_ids: fromCorpus })].sort()).toEqual(fromCorpus);
    expect(knownMaliciousIds({}).size).toBe(0);
    expect(parseExtensionIdList("# comment\nLGJDGMDBFHOBKDBCJNPNLMHNPLNIDKKP\nnot-an-id\n\n")).toEqual(["lgjdgmdbfhobkdbcjnpnlmhnplnidkkp"]);
  });

  it("cookies: metadata only; values need both the task parameter and the policy", async () => {
    vi.spyOn(fakeBrowser.cookies, "getAll").mockResolvedValue([
      { domain: ".a.example", name: "sid", path: "/", secure: true, httpOnly: true, sameSite: "lax", session: false, hostOnly: false, expirationDate: 1_800_000_000.5, storeId: "0", value: "SECRET", firstPartyDomain: "" },
    ]);
    const meta = await collectCookies(fakeBrowser, { parameters: { domain: "a.example", include_values: false }, policy: { allowCookieValues: true } });
    expect(meta[0]).toMatchObject({ domain: ".a.example", http_only: true, same_site: "lax", expiration_time: "2027-01-15T08:00:00.500Z", value: null });
    expect(JSON.stringify(meta)).not.toContain("SECRET");
    expect(fakeBrowser.cookies.getAll).toHaveBeenCalledWith({ domain: "a.example" });
    await expect(collectCookies(fakeBrowser, { parameters: { include_values: true }, policy: noValues })).rejects.toBeInstanceOf(CookieValuesNotAllowedError);
    const withValues = await collectCookies(fakeBrowser, { parameters: { include_values: true }, policy: { allowCookieValues: true } });
    expect(withValues[0]?.value).toBe("SECRET");
  });

  it("tabs and windows from the fake browser; top sites in rank order", async () => {
    const window = await fakeBrowser.windows.create({});
    await fakeBrowser.tabs.create({ windowId: window.id, url: "https://a.example/", active: true });
    const rows = await collectTabs(fakeBrowser);
    expect(rows.some((row) => row.url === "https://a.example/" && row.window_id === window.id)).toBe(true);
    const topSites = { topSites: { get: async () => [{ url: "https://a.example/", title: "A" }, { url: "https://b.example/", title: "B" }] } };
    expect(await collectTopSites(topSites)).toEqual([{ rank: 1, url: "https://a.example/", title: "A" }, { rank: 2, url: "https://b.example/", title: "B" }]);
  });

  it("device: ChromeOS enterprise attributes through callback APIs, per-feature errors via runtime.lastError", async () => {
    const runtime: DeviceApi["runtime"] = { getPlatformInfo: async () => ({ os: "cros", arch: "x86-64" }), lastError: undefined };
    const callback = <T,>(value: T) => (cb?: (result: T) => void) => void cb?.(value);
    const chromeOs: DeviceApi = {
      runtime,
      system: {
        cpu: { getInfo: callback({ modelName: "Intel Celeron", numOfProcessors: 4, archName: "x86_64" }) },
        memory: { getInfo: callback({ capacity: 8e9, availableCapacity: 3e9 }) },
        storage: { getInfo: callback([{ id: "s1", name: "eMMC", type: "fixed", capacity: 64e9 }]) },
      },
      enterprise: {
        deviceAttributes: {
          getDirectoryDeviceId: callback("dev-123"),
          getDeviceSerialNumber: callback("SN42"),
          getDeviceAssetId: callback("ASSET-7"),
          getDeviceAnnotatedLocation: callback(""),
          getDeviceHostname: (cb) => {
            runtime.lastError = { message: "Hostname policy not set" };
            cb?.("");
            runtime.lastError = undefined;
          },
        },
        hardwarePlatform: { getHardwarePlatformInfo: async () => ({ manufacturer: "Acme", model: "Book 11" }) },
        networkingAttributes: { getNetworkDetails: callback({ macAddress: "00:11:22:33:44:55", ipv4: "10.0.0.5" }) },
      },
    };
    const row = await collectDevice(chromeOs, { userAgent: "Mozilla/5.0 CrOS Chrome/156.0.1.2", brands: [{ brand: "Not A;Brand", version: "8" }, { brand: "Chromium", version: "156.0.1.2" }, { brand: "Google Chrome", version: "156.0.1.2" }], platformVersion: "16400.1.0" });
    expect(row).toMatchObject({
      browser_name: "Google Chrome", browser_version: "156.0.1.2", os: "ChromeOS", os_version: "16400.1.0", cpu_count: 4, memory_capacity_bytes: 8e9,
      directory_device_id: "dev-123", serial_number: "SN42", asset_id: "ASSET-7", annotated_location: null, device_hostname: null,
      hardware_manufacturer: "Acme", hardware_model: "Book 11", network: { macAddress: "00:11:22:33:44:55", ipv4: "10.0.0.5" },
      feature_errors: { "enterprise.deviceAttributes.getDeviceHostname": "Hostname policy not set" },
    });
    const plainLinux = await collectDevice({ runtime: { getPlatformInfo: async () => ({ os: "linux", arch: "x86-64" }) } }, { userAgent: "Mozilla/5.0 Chrome/156.0.8078.108", brands: [] });
    expect(plainLinux).toMatchObject({ os: "Linux", browser_name: "Chrome", browser_version: "156.0.8078.108", cpu_model: null, directory_device_id: null, feature_errors: {} });
    expect(browserBrand({ userAgent: "", brands: [{ brand: "Chromium", version: "156" }] })).toEqual({ name: "Chromium", version: "156" });
  });

  it("catalog: the repository's browser YAML validates, every source kind has a collector, parameters are checked", async () => {
    const catalog = new ArtifactCatalog();
    expect(catalog.names).toEqual(["Browser.Cookies", "Browser.Device", "Browser.Downloads", "Browser.Extensions", "Browser.History", "Browser.Tabs", "Browser.TopSites", "Browser.Triage"]);
    historyStubs();
    const rows: Row[] = [];
    const definition = await catalog.collect("Browser.History", { days: 7 }, fakeBrowser as unknown as BrowserApis, noValues, async (batch) => void rows.push(...batch));
    const columns = definition.columns.map((column) => column.name);
    for (const row of rows) expect(Object.keys(row)).toEqual(columns);
    await expect(catalog.collect("Browser.Nope", {}, fakeBrowser as unknown as BrowserApis, noValues, async () => {})).rejects.toBeInstanceOf(UnknownArtifactError);
    await expect(catalog.collect("Browser.History", { days: "seven" }, fakeBrowser as unknown as BrowserApis, noValues, async () => {})).rejects.toThrow(/days must be of type int/);
    expect(() => loadDefinitions({ "x.yaml": "name: Browser.X\ndescription: x\nplatforms: [browser]\nsource: { kind: browser.nothing }\ncolumns: [{ name: a, type: string }]" })).toThrow(/no collector for source kind browser.nothing/);
  });
});
