import { readFileSync, readdirSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { exportResponderKeys, generateResponderKeys, renderJsonSchemas } from "../src/index.ts";
import * as samples from "./fixtures/messages.ts";

const schemaDir = new URL("../schema/", import.meta.url);

describe("committed JSON Schema", () => {
  const rendered = renderJsonSchemas();

  it("has exactly one file per published schema", () => {
    const committed = readdirSync(schemaDir).filter((name) => name.endsWith(".json")).sort();
    expect(committed).toEqual(Object.keys(rendered).sort());
  });

  for (const [name, text] of Object.entries(rendered)) {
    it(`${name} matches the zod schema (regenerate: npx tsx packages/protocol/scripts/generate-json-schema.ts)`, () => {
      expect(readFileSync(new URL(name, schemaDir), "utf8")).toBe(text);
    });
  }
});

describe("the JSON Schema files work for other implementations", () => {
  // Formats (date-time) are checked by the zod schemas; here we check structure, bounds and patterns.
  const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });
  const validator = (name: string) =>
    ajv.getSchema(`urn:corvid:protocol:v1:${name}`) ??
    ajv.compile(JSON.parse(readFileSync(new URL(`${name}.json`, schemaDir), "utf8")));

  for (const [name, sample] of Object.entries(samples.validSamples)) {
    it(`${name} accepts the valid sample`, () => {
      const validate = validator(name);
      expect(validate(JSON.parse(JSON.stringify(sample))), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it("StoredResponderKeys accepts real exported keys", async () => {
    const stored = await exportResponderKeys(await generateResponderKeys());
    const validate = validator("StoredResponderKeys");
    expect(validate(JSON.parse(JSON.stringify(stored))), JSON.stringify(validate.errors)).toBe(true);
  });

  it("rejects oversized and malformed input like the zod schemas", () => {
    const checkin = validator("CheckinRequest");
    expect(checkin({ ...samples.checkinRequest, facts: { ...samples.assetFacts, hostname: "h".repeat(256) } })).toBe(false);
    expect(checkin({ ...samples.checkinRequest, protocolVersion: 2 })).toBe(false);
    const enroll = validator("EnrollRequest");
    expect(enroll({ ...samples.enrollRequest, deploymentToken: "cvd_dt_short" })).toBe(false);
  });
});
