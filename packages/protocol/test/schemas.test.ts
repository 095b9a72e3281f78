import { describe, expect, it } from "vitest";
import {
  ArtifactDefinition,
  AssetFacts,
  CheckinRequest,
  CheckinResponse,
  EnrollRequest,
  ErrorBody,
  MAX_RAW_RECORD_CHARS,
  PUBLISHED_SCHEMAS,
  TaskProgress,
  TimelineEvent,
  UploadBegin,
  UploadCompleteRequest,
  chunkCount,
  errorBody,
  isTerminalTaskState,
  missingChunkIndexes,
  parameterValueMatchesType,
  resolveArtifactParameters,
  responderPaths,
} from "../src/index.ts";
import * as samples from "./fixtures/messages.ts";

const clone = <T>(value: T): T => structuredClone(value);

describe("valid messages round-trip", () => {
  for (const [name, sample] of Object.entries(samples.validSamples)) {
    it(name, () => {
      const schema = PUBLISHED_SCHEMAS[name as keyof typeof samples.validSamples];
      const parsed = schema.parse(JSON.parse(JSON.stringify(sample)));
      expect(parsed).toEqual(sample);
    });
  }

  it("accepts browser facts", () => {
    expect(AssetFacts.parse(samples.browserFacts).browser?.managed).toBe(true);
  });

  it("strips unknown keys so newer responders do not break older consoles", () => {
    const parsed = CheckinRequest.parse({ ...samples.checkinRequest, futureField: 1 });
    expect(parsed).not.toHaveProperty("futureField");
  });
});

describe("malformed messages are rejected", () => {
  it("wrong protocol version", () => {
    expect(CheckinRequest.safeParse({ ...samples.checkinRequest, protocolVersion: 2 }).success).toBe(false);
  });

  it("missing required fields", () => {
    const { facts: _facts, ...noFacts } = samples.enrollRequest;
    expect(EnrollRequest.safeParse(noFacts).success).toBe(false);
  });

  it("deployment token with the wrong prefix or length", () => {
    expect(EnrollRequest.safeParse({ ...samples.enrollRequest, deploymentToken: `xyz_${"a".repeat(52)}` }).success).toBe(false);
    expect(EnrollRequest.safeParse({ ...samples.enrollRequest, deploymentToken: "cvd_dt_short" }).success).toBe(false);
  });

  it("public key that is not 32 bytes of base64url", () => {
    expect(EnrollRequest.safeParse({ ...samples.enrollRequest, publicKey: "AAAA" }).success).toBe(false);
    expect(EnrollRequest.safeParse({ ...samples.enrollRequest, publicKey: `${"+".repeat(43)}` }).success).toBe(false);
  });

  it("identifiers that could escape a URL path", () => {
    const response = { ...samples.checkinResponse, cancelTaskIds: ["../../admin"] };
    expect(CheckinResponse.safeParse(response).success).toBe(false);
  });

  it("progress outside 0..1 and unknown states", () => {
    expect(TaskProgress.safeParse({ ...samples.taskProgress, progress: 1.5 }).success).toBe(false);
    expect(TaskProgress.safeParse({ ...samples.taskProgress, state: "cancelled" }).success).toBe(false);
  });

  it("hashes that are not lowercase hex SHA-256", () => {
    expect(UploadBegin.safeParse({ ...samples.uploadBegin, sha256: samples.uploadBegin.sha256.toUpperCase() }).success).toBe(false);
  });

  it("chunk sizes out of range and uploads with too many chunks", () => {
    expect(UploadBegin.safeParse({ ...samples.uploadBegin, chunkSize: 1 }).success).toBe(false);
    const huge = UploadBegin.safeParse({ ...samples.uploadBegin, size: 60 * 1024 ** 3, chunkSize: 64 * 1024 });
    expect(huge.success).toBe(false);
    expect(huge.error?.issues[0]?.path).toEqual(["chunkSize"]);
  });

  it("a non-empty complete body", () => {
    expect(UploadCompleteRequest.safeParse({ sneaky: true }).success).toBe(false);
  });

  it("IP addresses with shell or markup characters", () => {
    const facts = { ...samples.assetFacts, ips: ["192.0.2.1; rm -rf /"] };
    expect(AssetFacts.safeParse(facts).success).toBe(false);
  });

  it("non-JSON values such as NaN sizes or negative memory", () => {
    expect(AssetFacts.safeParse({ ...samples.assetFacts, resources: { cpuPercent: Number.NaN, rssBytes: 1 } }).success).toBe(false);
    expect(AssetFacts.safeParse({ ...samples.assetFacts, resources: { cpuPercent: 1, rssBytes: -1 } }).success).toBe(false);
  });
});

describe("oversized input is rejected", () => {
  it("long strings", () => {
    expect(AssetFacts.safeParse({ ...samples.assetFacts, hostname: "h".repeat(256) }).success).toBe(false);
    expect(AssetFacts.safeParse({ ...samples.assetFacts, os: { name: "x".repeat(10_000), version: "1" } }).success).toBe(false);
    expect(TaskProgress.safeParse({ ...samples.taskProgress, error: "e".repeat(4097) }).success).toBe(false);
  });

  it("long arrays", () => {
    const ips = Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    expect(AssetFacts.safeParse({ ...samples.assetFacts, ips }).success).toBe(false);
    const activeTaskIds = Array.from({ length: 257 }, (_, i) => `t${i}`);
    expect(CheckinRequest.safeParse({ ...samples.checkinRequest, activeTaskIds }).success).toBe(false);
  });

  it("too many task parameters", () => {
    const parameters = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i]));
    const response = clone(samples.checkinResponse);
    response.tasks[0]!.artifacts[0]!.parameters = parameters;
    expect(CheckinResponse.safeParse(response).success).toBe(false);
  });

  it("raw timeline records beyond the limit, and records JSON cannot carry", () => {
    const big = { ...samples.timelineEvent, raw: { blob: "x".repeat(MAX_RAW_RECORD_CHARS) } };
    expect(TimelineEvent.safeParse(big).success).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(TimelineEvent.safeParse({ ...samples.timelineEvent, raw: cyclic }).success).toBe(false);
  });
});

describe("timeline events use ECS names", () => {
  it("requires @timestamp and event.dataset", () => {
    const { "@timestamp": _timestamp, ...noTimestamp } = samples.timelineEvent;
    expect(TimelineEvent.safeParse(noTimestamp).success).toBe(false);
    expect(TimelineEvent.safeParse({ ...samples.timelineEvent, event: { kind: "event" } }).success).toBe(false);
  });

  it("carries browser and cloud events without losing their ECS fields", () => {
    expect(TimelineEvent.parse(samples.browserDownloadEvent)).toEqual(samples.browserDownloadEvent);
    expect(TimelineEvent.parse(samples.cloudSignInEvent)).toEqual(samples.cloudSignInEvent);
  });

  it("bounds labels", () => {
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "v"]));
    expect(TimelineEvent.safeParse({ ...samples.timelineEvent, labels }).success).toBe(false);
  });

  it("keeps source as the ECS network source object", () => {
    expect(TimelineEvent.safeParse({ ...samples.timelineEvent, source: "Linux.Sys.Processes" }).success).toBe(false);
    expect(TimelineEvent.parse(samples.timelineEvent).source?.ip).toBe("198.51.100.7");
  });
});

describe("artifact definitions", () => {
  it("rejects names that are not dotted", () => {
    expect(ArtifactDefinition.safeParse({ ...samples.artifactDefinition, name: "processes" }).success).toBe(false);
  });

  it("rejects duplicate columns, unknown column types and empty column lists", () => {
    const definition = clone(samples.artifactDefinition);
    expect(ArtifactDefinition.safeParse({ ...definition, columns: [...definition.columns, { name: "pid", type: "int" }] }).success).toBe(false);
    expect(ArtifactDefinition.safeParse({ ...definition, columns: [{ name: "pid", type: "integer" }] }).success).toBe(false);
    expect(ArtifactDefinition.safeParse({ ...definition, columns: [] }).success).toBe(false);
  });

  it("rejects defaults that do not match the parameter type", () => {
    const parameters = [{ name: "limit", type: "int", default: "ten" }];
    const result = ArtifactDefinition.safeParse({ ...samples.artifactDefinition, parameters });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["parameters", 0, "default"]);
  });

  it("checks each parameter type", () => {
    expect(parameterValueMatchesType("int", 3)).toBe(true);
    expect(parameterValueMatchesType("int", 3.5)).toBe(false);
    expect(parameterValueMatchesType("float", 3.5)).toBe(true);
    expect(parameterValueMatchesType("timestamp", "2026-11-27T00:00:00Z")).toBe(true);
    expect(parameterValueMatchesType("timestamp", "yesterday")).toBe(false);
    expect(parameterValueMatchesType("regex", "(unclosed")).toBe(false);
    expect(parameterValueMatchesType("string_list", ["a"])).toBe(true);
    expect(parameterValueMatchesType("bool", "true")).toBe(false);
  });

  it("resolves task parameters over defaults and names every bad one", () => {
    const definition = samples.artifactDefinition;
    expect(resolveArtifactParameters(definition)).toEqual({ hash_executables: true, name_regex: "." });
    expect(resolveArtifactParameters(definition, { name_regex: "^ssh" })).toEqual({ hash_executables: true, name_regex: "^ssh" });
    expect(() => resolveArtifactParameters(definition, { hash_executables: "yes", colour: "red" })).toThrow(
      /parameter hash_executables must be of type bool; unknown parameter colour/,
    );
  });

  it("rejects repeated platforms and unknown platforms", () => {
    expect(ArtifactDefinition.safeParse({ ...samples.artifactDefinition, platforms: ["linux", "linux"] }).success).toBe(false);
    expect(ArtifactDefinition.safeParse({ ...samples.artifactDefinition, platforms: ["solaris"] }).success).toBe(false);
  });
});

describe("helpers", () => {
  it("counts chunks and lists the missing ones for resume", () => {
    expect(chunkCount(0, 1024)).toBe(0);
    expect(chunkCount(1024, 1024)).toBe(1);
    expect(chunkCount(1025, 1024)).toBe(2);
    expect(missingChunkIndexes(5000, 1024, [0, 2])).toEqual([1, 3, 4]);
  });

  it("builds error bodies that satisfy ErrorBody, cutting zod issues to its limits", () => {
    const failure = CheckinRequest.safeParse({});
    const body = errorBody("malformed", "bad check-in", failure.error);
    expect(ErrorBody.parse(body)).toEqual(body);
    expect(body.error.issues?.some((issue) => issue.path === "facts")).toBe(true);
    expect(errorBody("reenroll", "enroll again")).toEqual({ error: { code: "reenroll", message: "enroll again" } });
  });

  it("percent-encodes identifiers in endpoint paths", () => {
    expect(responderPaths.taskProgress("task_1")).toBe("/api/responder/v1/tasks/task_1/progress");
    expect(responderPaths.uploadChunk("a/b", 3)).toBe("/api/responder/v1/uploads/a%2Fb/chunks/3");
    expect(responderPaths.uploadComplete("up_1")).toBe("/api/responder/v1/uploads/up_1/complete");
  });

  it("knows terminal task states", () => {
    expect(isTerminalTaskState("completed")).toBe(true);
    expect(isTerminalTaskState("expired")).toBe(true);
    expect(isTerminalTaskState("delivered")).toBe(false);
  });
});
