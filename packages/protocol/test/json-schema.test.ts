import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderJsonSchemas } from "../src/index.ts";

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
