import { describe, expect, it } from "vitest";
import { SigmaEngine, SigmaEvent, type SigmaFinding } from "../src/index.ts";
import { rulesFrom } from "./helpers.ts";

const failedLogin = `title: Failed logon
id: 0e95725d-7320-415d-80f7-004da920fc11
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
level: low
`;
const successfulLogin = `title: Successful logon
id: 1e95725d-7320-415d-80f7-004da920fc11
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
`;

const security = { product: "windows", services: ["security"], categories: [] };
const at = (seconds: number, fields: Record<string, unknown>) => SigmaEvent.fromFields(fields, security, Date.UTC(2024, 0, 1) + seconds * 1000);

function run(yaml: string, events: SigmaEvent[]): SigmaFinding[] {
  const engine = new SigmaEngine(rulesFrom(yaml));
  return events.flatMap((event) => engine.process(event));
}

const correlations = (findings: SigmaFinding[]) => findings.filter((f) => f.kind === "correlation");

describe("event_count", () => {
  const rule = `${failedLogin}---
title: Many failed logons
id: 2e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - TargetUserName
    timespan: 1m
    condition:
        gte: 3
level: high
tags:
    - attack.credential-access
`;
  it("fires when a group reaches the count within the timespan, once per burst", () => {
    const events = [0, 10, 20, 30, 40].map((s) => at(s, { EventID: 4625, TargetUserName: "alice" }));
    const findings = correlations(run(rule, events));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      title: "Many failed logons",
      level: "high",
      attack: ["attack.credential-access"],
      correlation: { type: "event_count", groupBy: { TargetUserName: "alice" }, value: 3 },
    });
    expect(findings[0]!.correlation!.events).toHaveLength(3);
  });
  it("keeps groups apart and forgets events older than the timespan", () => {
    const events = [
      at(0, { EventID: 4625, TargetUserName: "alice" }),
      at(1, { EventID: 4625, TargetUserName: "bob" }),
      at(2, { EventID: 4625, TargetUserName: "alice" }),
      at(100, { EventID: 4625, TargetUserName: "alice" }),
      at(101, { EventID: 4625, TargetUserName: "bob" }),
      at(102, { EventID: 4625, TargetUserName: "bob" }),
    ];
    expect(correlations(run(rule, events))).toHaveLength(0);
  });
  it("suppresses the referenced rule's own findings unless generate is true", () => {
    const events = [at(0, { EventID: 4625, TargetUserName: "alice" })];
    expect(run(rule, events)).toHaveLength(0);
    const generating = rule.replace("    condition:\n        gte: 3", "    condition:\n        gte: 3\n    generate: true");
    expect(run(generating, events).map((f) => f.title)).toEqual(["Failed logon"]);
  });
});

describe("value_count", () => {
  const rule = `${failedLogin}---
title: Password spraying
correlation:
    type: value_count
    rules:
        - failed_login
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        field: TargetUserName
        gte: 3
`;
  it("counts distinct values of the field per group", () => {
    const sameUser = [0, 1, 2, 3].map((s) => at(s, { EventID: 4625, IpAddress: "10.0.0.5", TargetUserName: "alice" }));
    expect(correlations(run(rule, sameUser))).toHaveLength(0);
    const spray = ["alice", "bob", "alice", "carol"].map((user, s) => at(s, { EventID: 4625, IpAddress: "10.0.0.5", TargetUserName: user }));
    const findings = correlations(run(rule, spray));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.correlation).toMatchObject({ groupBy: { IpAddress: "10.0.0.5" }, value: 3 });
  });
});

describe("temporal and temporal_ordered", () => {
  const temporal = (type: string) => `${failedLogin}---
${successfulLogin}---
title: Failed then successful logon
correlation:
    type: ${type}
    rules:
        - failed_login
        - successful_login
    group-by:
        - TargetUserName
    timespan: 10m
`;
  it("temporal fires when every referenced rule matched within the timespan, in any order", () => {
    const events = [at(0, { EventID: 4624, TargetUserName: "alice" }), at(60, { EventID: 4625, TargetUserName: "alice" })];
    expect(correlations(run(temporal("temporal"), events))).toHaveLength(1);
    const tooFarApart = [at(0, { EventID: 4624, TargetUserName: "alice" }), at(3600, { EventID: 4625, TargetUserName: "alice" })];
    expect(correlations(run(temporal("temporal"), tooFarApart))).toHaveLength(0);
    const otherUser = [at(0, { EventID: 4624, TargetUserName: "alice" }), at(60, { EventID: 4625, TargetUserName: "bob" })];
    expect(correlations(run(temporal("temporal"), otherUser))).toHaveLength(0);
  });
  it("temporal_ordered also requires the listed order", () => {
    const wrongOrder = [at(0, { EventID: 4624, TargetUserName: "alice" }), at(60, { EventID: 4625, TargetUserName: "alice" })];
    expect(correlations(run(temporal("temporal_ordered"), wrongOrder))).toHaveLength(0);
    const rightOrder = [
      at(0, { EventID: 4625, TargetUserName: "alice" }),
      at(30, { EventID: 4625, TargetUserName: "alice" }),
      at(60, { EventID: 4624, TargetUserName: "alice" }),
    ];
    expect(correlations(run(temporal("temporal_ordered"), rightOrder))).toHaveLength(1);
  });
});

describe("aliases and chained correlations", () => {
  it("groups by an alias that names a different field per rule", () => {
    const yaml = `title: Internal error
name: internal_error
logsource: {product: web}
detection:
    selection:
        status: 500
    condition: selection
---
title: New connection
name: new_network_connection
logsource: {product: web}
detection:
    selection:
        action: connect
    condition: selection
---
title: Error then connection between the same hosts
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
`;
    const web = (seconds: number, fields: Record<string, unknown>) =>
      SigmaEvent.fromFields(fields, { product: "web", services: [], categories: [] }, seconds * 1000);
    const findings = correlations(
      run(yaml, [web(0, { status: 500, "destination.ip": "10.1.1.1" }), web(5, { action: "connect", "source.ip": "10.1.1.1" })]),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]!.correlation!.groupBy).toEqual({ internal_ip: "10.1.1.1" });
    expect(
      correlations(run(yaml, [web(0, { status: 500, "destination.ip": "10.1.1.1" }), web(5, { action: "connect", "source.ip": "10.9.9.9" })])),
    ).toHaveLength(0);
  });

  it("feeds one correlation into another (brute force followed by success)", () => {
    const yaml = `title: Brute force then success
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - TargetUserName
    timespan: 10m
level: high
---
title: Multiple failed logons
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 3
---
${failedLogin}---
${successfulLogin}`;
    const events = [
      at(0, { EventID: 4625, TargetUserName: "alice" }),
      at(10, { EventID: 4625, TargetUserName: "alice" }),
      at(20, { EventID: 4625, TargetUserName: "alice" }),
      at(30, { EventID: 4624, TargetUserName: "alice" }),
    ];
    const findings = correlations(run(yaml, events));
    expect(findings.map((f) => f.title)).toEqual(["Brute force then success"]);
  });
});

describe("correlation rule validation", () => {
  it("rejects unknown types, bad timespans and missing fields with reasons", () => {
    const base = (body: string) => `title: c\ncorrelation:\n${body}\n`;
    const errors = (body: string) => {
      try {
        rulesFrom(base(body));
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(errors("    type: event_sum\n    rules: [a]\n    timespan: 1h")).toMatch(/correlation\.type: must be one of/);
    expect(errors("    type: event_count\n    rules: [a]\n    timespan: soon\n    condition: {gte: 1}")).toMatch(/timespan must be a number followed by/);
    expect(errors("    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition: {gte: 1}")).toMatch(/needs condition\.field/);
  });
});
