import { TimelineEvent } from "@corvid/protocol";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { ArtifactCatalog, type BrowserApis } from "../src/collectors/catalog.ts";
import type { Row } from "../src/collectors/types.ts";
import { browserEvents, loadRules, runTriage, shippedRules, TriageRuleError } from "../src/triage/triage.ts";

const DAY = 86_400_000;
const now = Date.parse("2026-11-27T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

const history: Row[] = [
  { url: "https://fresh-lure.example/invoice", visit_time: iso(now - 2 * 3_600_000), transition: "link" },
  { url: "https://old-vendor.example/download", visit_time: iso(now - 10 * DAY), transition: "typed" },
  { url: "https://old-vendor.example/download", visit_time: iso(now - 3_600_000), transition: "typed" },
];
const downloads: Row[] = [
  { url: "https://fresh-lure.example/invoice.exe", final_url: null, filename: "/home/u/Downloads/invoice.exe", mime: "application/x-msdownload", start_time: iso(now - 3_600_000), state: "complete", danger: "safe", referrer: "https://fresh-lure.example/invoice" },
  { url: "https://old-vendor.example/setup.exe", final_url: "https://old-vendor.example/setup.exe", filename: "/home/u/Downloads/setup.exe", start_time: iso(now - 1_800_000), state: "complete" },
  { url: "https://fresh-lure.example/readme.pdf", filename: "/home/u/Downloads/readme.pdf", start_time: iso(now - 1_800_000), state: "complete" },
];
// An ID from palant/malicious-extensions-list (the kind of list the console passes in known_malicious_ids).
const malicious = "lgjdgmdbfhobkdbcjnpnlmhnplnidkkp";
const extensions: Row[] = [
  { id: malicious, name: "Bad", install_type: "normal", enabled: true, known_malicious: true, risky_permissions: false, host_permissions: [] },
  { id: "a".repeat(32), name: "Reader", install_type: "normal", enabled: true, known_malicious: false, risky_permissions: false, host_permissions: ["<all_urls>"] },
  { id: "b".repeat(32), name: "Corp SSO", install_type: "admin", enabled: true, known_malicious: false, risky_permissions: false, host_permissions: ["<all_urls>"] },
];

describe("browser triage with Sigma", () => {
  beforeEach(() => fakeBrowser.reset());

  it("normalizes visits, downloads and extensions into valid timeline events", () => {
    const events = browserEvents({ history, downloads, extensions, observedAt: iso(now) });
    expect(events).toHaveLength(9);
    for (const event of events) expect(TimelineEvent.safeParse(event).success).toBe(true);
    const lure = events.find((event) => event.file?.name === "invoice.exe")!;
    expect(lure.labels).toMatchObject({ domain_first_seen_same_day: "true" });
    expect(events.find((event) => event.file?.name === "setup.exe")!.labels).toMatchObject({ domain_first_seen_same_day: "false" });
  });

  it("the shipped rules find the lure download, the malicious extension and the user-installed all-sites extension only", () => {
    const findings = runTriage(browserEvents({ history, downloads, extensions, observedAt: iso(now) }), shippedRules());
    expect(findings.map((finding) => [finding.title, finding.subject]).sort()).toEqual([
      ["Executable or script downloaded from a domain first visited that day", "https://fresh-lure.example/invoice.exe"],
      ["Extension with access to every site installed by the user", "a".repeat(32)],
      ["Known-malicious browser extension present", malicious],
    ].sort());
    expect(findings.find((finding) => finding.subject === malicious)).toMatchObject({ level: "high", event_action: "extension-installed", tags: ["attack.persistence", "attack.t1176"] });
  });

  it("runs rules a task brings and rejects rules that do not load", () => {
    const rule = "title: Any PDF\nlogsource: { product: corvid, service: browser }\ndetection:\n  selection:\n    file.name|endswith: .pdf\n  condition: selection\nlevel: low\n";
    const findings = runTriage(browserEvents({ history, downloads, extensions, observedAt: iso(now) }), loadRules({ "task.yml": rule }));
    expect(findings.map((finding) => finding.subject)).toEqual(["https://fresh-lure.example/readme.pdf"]);
    expect(() => loadRules({ "bad.yml": "title: x\ndetection: {}\n" })).toThrow(TriageRuleError);
    expect(() => loadRules({})).toThrow(/no Sigma rules/);
  });

  it("runs as the Browser.Triage artifact over the browser APIs", async () => {
    vi.spyOn(fakeBrowser.history, "search").mockResolvedValue([{ id: "1", url: "https://fresh-lure.example/invoice", visitCount: 1, typedCount: 0, lastVisitTime: Date.now() - 3_600_000 }]);
    vi.spyOn(fakeBrowser.history, "getVisits").mockResolvedValue([{ id: "1", visitId: "5", visitTime: Date.now() - 3_600_000, referringVisitId: "0", transition: "link" }]);
    vi.spyOn(fakeBrowser.downloads, "search").mockResolvedValue([{ id: 1, url: "https://fresh-lure.example/run.ps1", filename: "/tmp/run.ps1", startTime: new Date().toISOString(), state: "complete" } as never]);
    vi.spyOn(fakeBrowser.management, "getAll").mockResolvedValue([]);
    const rows: Row[] = [];
    await new ArtifactCatalog().collect("Browser.Triage", {}, fakeBrowser as unknown as BrowserApis, { allowCookieValues: false }, async (batch) => void rows.push(...batch));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ title: "Executable or script downloaded from a domain first visited that day", subject: "https://fresh-lure.example/run.ps1", level: "medium" });
  });

  it("flags an installed extension whose ID the task lists in known_malicious_ids", async () => {
    vi.spyOn(fakeBrowser.history, "search").mockResolvedValue([]);
    vi.spyOn(fakeBrowser.downloads, "search").mockResolvedValue([]);
    vi.spyOn(fakeBrowser.management, "getAll").mockResolvedValue([
      { id: malicious, name: "Free VPN", version: "1.0", type: "extension", installType: "normal", enabled: true, mayDisable: true, permissions: [], hostPermissions: [] },
    ] as never);
    const collect = async (parameters: Record<string, string[]>) => {
      const rows: Row[] = [];
      await new ArtifactCatalog().collect("Browser.Triage", parameters, fakeBrowser as unknown as BrowserApis, { allowCookieValues: false }, async (batch) => void rows.push(...batch));
      return rows;
    };
    expect(await collect({})).toEqual([]);
    const [finding] = await collect({ known_malicious_ids: [malicious.toUpperCase()] });
    expect(finding).toMatchObject({ title: "Known-malicious browser extension present", subject: malicious, level: "high" });
  });
});
