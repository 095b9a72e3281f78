import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { builtinMapping, guessMapping, loadRuleDirectory, normalizeRecord, SigmaEngine, type LogSourceMapping, type SigmaRule } from "../src/index.ts";
import { parseJsonValues } from "../scripts/event-sources.ts";
import { corpora } from "./helpers.ts";

const cloudLogs = join(corpora, "cloud-logs");
let engine: SigmaEngine;
let cloudRules: SigmaRule[];

interface PantherSample {
  rule: string;
  logType: string;
  expected: boolean;
  log: unknown;
}

async function pantherSamples(): Promise<PantherSample[]> {
  const samples: PantherSample[] = [];
  const root = join(cloudLogs, "panther");
  for (const folder of await readdir(root)) {
    for (const file of await readdir(join(root, folder))) {
      const document = parse(await readFile(join(root, folder, file), "utf8")) as { LogTypes: string[]; Tests?: { ExpectedResult: boolean; Log: unknown }[] };
      for (const test of document.Tests ?? []) samples.push({ rule: file, logType: document.LogTypes[0]!, expected: test.ExpectedResult, log: test.Log });
    }
  }
  return samples;
}

const titles = (record: unknown) => {
  const mapping = guessMapping(record);
  if (!mapping) throw new Error(`no mapping for ${JSON.stringify(record).slice(0, 200)}`);
  return normalizeRecord(record, mapping).flatMap((event) => engine.process(event).map((f) => f.title));
};

beforeAll(async () => {
  const loaded = await loadRuleDirectory(join(corpora, "sigma-rules", "rules", "cloud"));
  expect(loaded.errors).toEqual([]);
  cloudRules = loaded.rules;
  engine = new SigmaEngine(cloudRules);
});

describe("cloud logs through the mappings and SigmaHQ cloud rules", () => {
  it("maps and evaluates every Panther labelled cloud sample without errors", async () => {
    const samples = (await pantherSamples()).filter((s) => s.logType !== "Windows.EventLogs");
    expect(samples.length).toBeGreaterThan(100);
    for (const sample of samples) {
      const mapping = guessMapping(sample.log);
      expect(mapping?.name, `${sample.rule} (${sample.logType})`).toBeDefined();
      expect(() => titles(sample.log)).not.toThrow();
    }
    const mappings = new Set(samples.map((s) => guessMapping(s.log)!.name));
    expect(mappings).toEqual(new Set(["gworkspace", "entra-signin", "entra-audit", "m365-audit"]));
  });

  it("Google Workspace: SigmaHQ's suspicious-login rule agrees with Panther's labels", async () => {
    const samples = (await pantherSamples()).filter((s) => s.rule === "gsuite_suspicious_logins.yml");
    for (const sample of samples) {
      expect(titles(sample.log).includes("Suspicious Login Activity Classified By Google"), JSON.stringify(sample.log)).toBe(sample.expected);
    }
  });

  it("Google Workspace: Reports API login records (Elastic fixtures) fire on exactly the suspicious_* events", async () => {
    const records = parseJsonValues(await readFile(join(cloudLogs, "elastic/google_workspace/login/test-login.log"), "utf8"));
    expect(records).toHaveLength(17);
    const fired = records.filter((record) => titles(record).includes("Suspicious Login Activity Classified By Google"));
    const names = fired.map((r) => (r as { events: { name: string } }).events.name);
    expect(names).toEqual(["suspicious_login", "suspicious_login_less_secure_app", "suspicious_programmatic_login"]);
  });

  it("Google Workspace: one Sigma event per events[] item, parameters by name, eventService from the application", () => {
    const activity = {
      kind: "admin#reports#activity",
      id: { time: "2026-11-20T10:00:00.000Z", uniqueQualifier: "1", applicationName: "admin", customerId: "C0" },
      actor: { email: "admin@example.test" },
      events: [
        { type: "SECURITY_SETTINGS", name: "ENFORCE_STRONG_AUTHENTICATION", parameters: [{ name: "NEW_VALUE", value: "false" }, { name: "ORG_UNIT_NAME", value: "/" }] },
        { type: "DELEGATED_ADMIN_SETTINGS", name: "GRANT_ADMIN_PRIVILEGE", parameters: [{ name: "USER_EMAIL", value: "eve@example.test" }] },
      ],
    };
    const events = normalizeRecord(activity, builtinMapping("gworkspace"));
    expect(events.map((e) => [e.value("eventservice"), e.value("eventname"), e.logsource.services])).toEqual([
      ["admin.googleapis.com", "ENFORCE_STRONG_AUTHENTICATION", ["google_workspace.admin"]],
      ["admin.googleapis.com", "GRANT_ADMIN_PRIVILEGE", ["google_workspace.admin"]],
    ]);
    expect(events[0]!.value("new_value")).toBe("false");
    expect(events[0]!.timestamp).toBe(Date.parse("2026-11-20T10:00:00.000Z"));
    expect(titles(activity).sort()).toEqual(["Google Workspace MFA Disabled", "Google Workspace User Granted Admin Privileges"]);
  });

  it("Entra ID: diagnostic-shape sign-ins get the Log Analytics column names", async () => {
    const [record] = parseJsonValues(await readFile(join(cloudLogs, "elastic/azure/signinlogs/test-signinlogs.log"), "utf8"));
    const mapping = guessMapping(record)!;
    expect(mapping.name).toBe("entra-signin");
    const [event] = normalizeRecord(record, mapping);
    expect(event!.text("resulttype")).toBe("50140");
    expect(event!.value("resultdescription")).toMatch(/Keep me signed in/);
    expect(event!.value("clientapp")).toBe("Browser");
    expect(event!.timestamp).toBe(Date.parse("2019-10-18T04:45:48.0729893-05:00"));
    expect(() => titles(record)).not.toThrow();
  });

  it("Entra ID: Panther's federation-settings audit sample fires SigmaHQ's rule", async () => {
    const samples = (await pantherSamples()).filter((s) => s.rule === "azure_domain_trust_settings_modified.yml" && s.expected);
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) expect(titles(sample.log)).toContain("Azure Domain Federation Settings Modified");
  });

  it("Microsoft 365: Unified Audit Log records flatten Name/Value parameters", async () => {
    const records = parseJsonValues(await readFile(join(cloudLogs, "plaso/jsonl/microsoft_audit_log.jsonl"), "utf8"));
    const [event] = normalizeRecord(records[0], guessMapping(records[0])!);
    expect(event!.value("operation")).toBe("Install-DefaultSharingPolicy");
    expect(event!.value("parameters.organization")).toBe("sst5f.onmicrosoft.com");
    expect(event!.logsource.product).toBe("m365");
    expect(event!.timestamp).toBe(Date.parse("2022-05-07T12:55:53Z"));
    for (const record of records) expect(() => titles(record)).not.toThrow();
  });

  it("Azure activity logs map operationName for the activity_logs rules", async () => {
    const records = parseJsonValues(await readFile(join(cloudLogs, "plaso/jsonl/azure_activity_log.jsonl"), "utf8"));
    expect(records.map((r) => guessMapping(r)?.name)).toEqual(records.map(() => "azure-activity"));
    const [event] = normalizeRecord(records[0], builtinMapping("azure-activity"));
    expect(String(event!.value("operationname"))).toMatch(/^Microsoft\./);
  });
});

describe("Linux and browser mappings", () => {
  it("parses auditd lines into auditd fields", () => {
    const line = 'type=EXECVE msg=audit(1700000000.123:42): argc=3 a0="chmod" a1="+x" a2="/tmp/payload"';
    const mapping = guessMapping(line)!;
    expect(mapping.name).toBe("linux-auditd");
    const [event] = normalizeRecord(line, mapping);
    expect([event!.value("type"), event!.value("a0"), event!.value("a2"), event!.timestamp]).toEqual(["EXECVE", "chmod", "/tmp/payload", 1700000000123]);
    expect(event!.logsource).toEqual({ product: "linux", services: ["auditd"], categories: [] });
  });
  it("parses syslog lines and picks the service from the program", () => {
    const [event] = normalizeRecord("Nov 27 10:00:01 host sshd[812]: Failed password for root from 10.0.0.9 port 52 ssh2", builtinMapping("linux-syslog"));
    expect([event!.value("program"), event!.value("pid"), event!.logsource.services]).toEqual(["sshd", 812, ["syslog", "sshd"]]);
  });
  it("reads journald JSON entries", () => {
    const entry = { MESSAGE: "Accepted publickey for alice", SYSLOG_IDENTIFIER: "sshd", _PID: "900", _EXE: "/usr/sbin/sshd", __REALTIME_TIMESTAMP: "1700000000000000" };
    const [event] = normalizeRecord(entry, guessMapping(entry)!);
    expect([event!.value("message"), event!.value("image"), event!.timestamp, event!.logsource.services]).toEqual([
      "Accepted publickey for alice",
      "/usr/sbin/sshd",
      1700000000000,
      ["syslog", "journald", "sshd"],
    ]);
  });
  it("classifies records of one kind once, and checks the field conditions of each record that has them", () => {
    const sysmon = (image: string) => ({
      Event: {
        System: { Provider: { "#attributes": { Name: "Microsoft-Windows-Sysmon" } }, EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational" },
        EventData: { Image: image, CommandLine: image },
      },
    });
    const [first] = normalizeRecord(sysmon("C:\\a.exe"), builtinMapping("windows"));
    const [second] = normalizeRecord(sysmon("C:\\b.exe"), builtinMapping("windows"));
    expect(first!.logsource).toEqual({ product: "windows", services: ["sysmon"], categories: ["process_creation"] });
    // One frozen object for the kind: the engine finds its rule buckets by identity, and no consumer can change it.
    expect(second!.logsource).toBe(first!.logsource);
    expect(Object.isFrozen(first!.logsource) && Object.isFrozen(first!.logsource.categories)).toBe(true);
    expect(second!.value("image")).toBe("C:\\b.exe");
    const browser = (action: string) => ({ "@timestamp": "2026-11-27T10:00:00Z", event: { dataset: "browser.download", action }, file: { path: "/tmp/x.hta" } });
    const [navigation] = normalizeRecord(browser("navigation"), builtinMapping("corvid-browser"));
    const [download] = normalizeRecord(browser("download"), builtinMapping("corvid-browser"));
    expect([navigation!.logsource.categories, download!.logsource.categories]).toEqual([["proxy"], ["proxy", "file_event"]]);
    expect([navigation!.value("targetfilename"), download!.value("targetfilename")]).toEqual([undefined, "/tmp/x.hta"]);
    // Records a condition classifies alike share one logsource object too.
    const [secondDownload] = normalizeRecord(browser("download"), builtinMapping("corvid-browser"));
    const [secondNavigation] = normalizeRecord(browser("navigation"), builtinMapping("corvid-browser"));
    expect([secondDownload!.logsource, secondNavigation!.logsource]).toEqual([download!.logsource, navigation!.logsource]);
    expect(secondDownload!.logsource).toBe(download!.logsource);
    expect(secondNavigation!.logsource).toBe(navigation!.logsource);
    const registry = (eventType: string) => ({
      Event: { System: { EventID: 12, Channel: "Microsoft-Windows-Sysmon/Operational" }, EventData: { EventType: eventType, TargetObject: "HKLM\\x" } },
    });
    const types = ["CreateKey", "DeleteKey", "CreateKey", "SetValue", "deletevalue", "DeleteKey"];
    const [created, deleted, createdAgain, set, deletedValue, deletedAgain] = types.map((type) => normalizeRecord(registry(type), builtinMapping("windows"))[0]!);
    expect([created, deleted, set, deletedValue].map((event) => event!.logsource.categories)).toEqual([
      ["registry_event", "registry_add"],
      ["registry_event", "registry_delete"],
      ["registry_event"],
      ["registry_event", "registry_delete"],
    ]);
    expect(createdAgain!.logsource).toBe(created!.logsource);
    expect(deletedAgain!.logsource).toBe(deleted!.logsource);
    const [long] = normalizeRecord(registry(`DeleteKey${" ".repeat(1000)}`), builtinMapping("windows"));
    expect(long!.logsource.categories).toEqual(["registry_event"]);
  });
  it("classifies by a condition on a field an earlier category's aliases provide, record by record", () => {
    const mapping: LogSourceMapping = {
      name: "test",
      description: "an aliased field decides a later category",
      format: "json",
      product: "test",
      categories: [
        { category: "renamed", aliases: { Kind: "RawKind" } },
        { category: "special", when: { Kind: "x" } },
      ],
    };
    const categories = ["x", "y", "x", "y"].map((kind) => normalizeRecord({ RawKind: kind }, mapping)[0]!.logsource.categories);
    expect(categories).toEqual([["renamed", "special"], ["renamed"], ["renamed", "special"], ["renamed"]]);
  });
  it("exposes Corvid browser timeline events with the proxy taxonomy", () => {
    const navigation = {
      "@timestamp": "2026-11-27T10:00:00Z",
      event: { dataset: "browser.navigation", action: "navigation" },
      url: { full: "https://evil.example/payload.hta", domain: "evil.example" },
      user_agent: { original: "Mozilla/5.0" },
    };
    const [event] = normalizeRecord(navigation, guessMapping(navigation)!);
    expect(event!.logsource).toEqual({ product: "corvid", services: ["browser"], categories: ["proxy"] });
    expect([event!.value("c-uri"), event!.value("cs-host"), event!.value("c-useragent")]).toEqual(["https://evil.example/payload.hta", "evil.example", "Mozilla/5.0"]);
  });
});
