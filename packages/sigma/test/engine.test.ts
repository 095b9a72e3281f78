import { describe, expect, it } from "vitest";
import { SigmaEngine, SigmaEvent } from "../src/index.ts";
import { rulesFrom } from "./helpers.ts";

const processCreation = `title: Curl with user agent
id: 85de1f22-d189-44e4-8239-dc276b45379b
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\curl.exe'
        CommandLine|contains: 'User-Agent:'
    condition: selection
level: medium
tags:
    - attack.execution
    - attack.t1105
`;
const securityRule = `title: Service installed
id: 2e95725d-7320-415d-80f7-004da920fc11
logsource:
    product: windows
    service: system
detection:
    selection:
        EventID: 7045
        ServiceName: evil
    condition: selection
`;

const sysmon = (fields: Record<string, unknown>) =>
  SigmaEvent.fromFields(fields, { product: "windows", services: ["sysmon"], categories: ["process_creation"] });

describe("engine", () => {
  it("tests a rule filed for a whole channel on the events that have one of its alternative fields", () => {
    const rule = `title: Account name prefix
logsource:
    product: windows
    service: security
detection:
    selection1:
        SamAccountName|startswith: 'SAMTHEADMIN-'
    selection2:
        TargetUserName|startswith: 'SAMTHEADMIN-'
    filter:
        SubjectUserName: 'ignored'
    condition: 1 of selection* and not filter
`;
    const rules = rulesFrom(rule);
    // Counts the rule's full tests: an event without either field must not reach one.
    let tests = 0;
    const detection = (rules[0] as { detection: { test: (event: SigmaEvent) => boolean } }).detection;
    const test = detection.test;
    detection.test = (event) => (tests++, test(event));
    const engine = new SigmaEngine(rules);
    const security = (fields: Record<string, unknown>) => SigmaEvent.fromFields(fields, { product: "windows", services: ["security"], categories: [] });
    expect(engine.match(security({ EventID: 4741, SamAccountName: "SAMTHEADMIN-1$" }))).toHaveLength(1);
    expect(engine.match(security({ EventID: 4624, TargetUserName: "samtheadmin-2$" }))).toHaveLength(1);
    expect(engine.match(security({ EventID: 4624, TargetUserName: "samtheadmin-2$", SubjectUserName: "ignored" }))).toHaveLength(0);
    expect(tests).toBe(3);
    expect(engine.match(security({ EventID: 5145, ShareName: "SAMTHEADMIN-3" }))).toHaveLength(0);
    expect(tests).toBe(3);
  });
  it("turns a match into a finding with rule metadata, ATT&CK tags, event and selection", () => {
    const engine = new SigmaEngine(rulesFrom(processCreation));
    const fields = { EventID: 1, Image: "C:\\Windows\\System32\\curl.exe", CommandLine: "curl -H 'User-Agent: x' http://e" };
    const [finding] = engine.match(sysmon(fields));
    expect(finding).toMatchObject({
      kind: "detection",
      ruleId: "85de1f22-d189-44e4-8239-dc276b45379b",
      title: "Curl with user agent",
      level: "medium",
      status: "test",
      tags: ["attack.execution", "attack.t1105"],
      attack: ["attack.execution", "attack.t1105"],
      matchedSelections: ["selection"],
      event: fields,
    });
  });

  it("only evaluates rules whose logsource fits the event", () => {
    const engine = new SigmaEngine(rulesFrom(`${processCreation}---\n${securityRule}`));
    const curl = { Image: "C:\\curl.exe", CommandLine: "User-Agent: x" };
    expect(engine.match(SigmaEvent.fromFields(curl, { product: "linux", services: [], categories: ["process_creation"] }))).toHaveLength(0);
    expect(engine.match(SigmaEvent.fromFields(curl, { product: "windows", services: ["security"], categories: [] }))).toHaveLength(0);
    const system = (eventId: number) => SigmaEvent.fromFields({ EventID: eventId, ServiceName: "evil" }, { product: "windows", services: ["system"], categories: [] });
    expect(engine.match(system(7045)).map((f) => f.title)).toEqual(["Service installed"]);
    expect(engine.match(system(7036))).toHaveLength(0);
  });

  it("applies filter rules to the rules they name", () => {
    const filter = `title: Admins may use curl
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 85de1f22-d189-44e4-8239-dc276b45379b
    selection:
        User|startswith: 'adm_'
    condition: selection
`;
    const engine = new SigmaEngine(rulesFrom(`${processCreation}---\n${filter}`));
    const base = { Image: "C:\\curl.exe", CommandLine: "User-Agent: x" };
    expect(engine.match(sysmon({ ...base, User: "adm_bob" }))).toHaveLength(0);
    expect(engine.match(sysmon({ ...base, User: "bob" }))).toHaveLength(1);
  });

  it("gives the same findings as testing every rule directly (prefilter and index are exact)", () => {
    const rules = rulesFrom(`${processCreation}---\n${securityRule}`);
    const engine = new SigmaEngine(rules);
    const events = [
      sysmon({ Image: "C:\\CURL.EXE", CommandLine: "x user-agent: y" }),
      sysmon({ Image: "C:\\curl.exe.bak", CommandLine: "User-Agent:" }),
      sysmon({ Image: "\\curl.exe", CommandLine: ["a", "User-Agent: b"] }),
    ];
    for (const event of events) {
      const direct = rules.filter((r) => r.kind === "detection" && r.detection.test(event)).length;
      expect(engine.match(event)).toHaveLength(direct);
    }
    expect(events.map((e) => engine.match(e).length)).toEqual([1, 0, 1]);
  });
});
