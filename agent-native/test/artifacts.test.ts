import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArtifactDefinitionError, ArtifactParameterError, buildCatalog, parseArtifactYaml, sourceArguments } from "../src/artifacts/catalog.ts";
import { conformRow, RowShapeError } from "../src/artifacts/rows.ts";
import { linuxArtifactsDir } from "./collect-helpers.ts";

const VALID = `
name: Test.Users
description: test
platforms: [linux]
source:
  kind: linux.users
parameters:
  - { name: passwd_path, type: string, default: /etc/passwd }
columns:
  - { name: username, type: string }
  - { name: uid, type: int }
`;

function rejection(yaml: string, file = "Test.Users.yaml"): string[] {
  try {
    parseArtifactYaml(file, yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactDefinitionError);
    return (error as ArtifactDefinitionError).issues;
  }
  throw new Error("definition was accepted");
}

describe("artifact definition validation", () => {
  it("accepts a well-formed definition", () => {
    expect(parseArtifactYaml("Test.Users.yaml", VALID).definition.columns).toHaveLength(2);
  });

  it("rejects an unknown source kind and names the known ones", () => {
    expect(rejection(VALID.replace("linux.users", "linux.kernel_modules"))).toEqual([
      expect.stringMatching(/^source\.kind: unknown kind "linux\.kernel_modules" \(known: .*linux\.processes/),
    ]);
  });

  it("rejects schema violations: bad column type, no columns, bad names, bad platform", () => {
    expect(rejection(VALID.replace("type: int", "type: integer"))).toEqual([expect.stringMatching(/^columns\.1\.type:/)]);
    expect(rejection(VALID.replace(/columns:[\s\S]*$/, "columns: []\n"))).toEqual([expect.stringMatching(/^columns:/)]);
    expect(rejection(VALID.replace("name: uid", "name: UID"))).toEqual([expect.stringMatching(/^columns\.1\.name:/)]);
    expect(rejection(VALID.replace("[linux]", "[amiga]"))).toEqual([expect.stringMatching(/^platforms\.0:/)]);
    expect(rejection(VALID.replace("description: test\n", ""))).toEqual([expect.stringMatching(/^description:/)]);
  });

  it("rejects source parameters the kind does not accept or of the wrong type", () => {
    expect(rejection(VALID.replace("kind: linux.users", "kind: linux.users\n  parameters: { shadow_path: /etc/shadow }"))).toEqual([
      expect.stringMatching(/^source\.parameters\..*shadow_path/),
    ]);
    expect(rejection(VALID.replace("default: /etc/passwd", "default: 12"))).toEqual([expect.stringMatching(/default/)]);
  });

  it("rejects invalid YAML, a name that does not match the file, and duplicate names", () => {
    expect(rejection("name: [unclosed")).toEqual([expect.stringMatching(/^not valid YAML/)]);
    expect(rejection(VALID, "Other.Name.yaml")).toEqual(["file name must be Test.Users.yaml"]);
    expect(() =>
      buildCatalog([
        { file: "a/Test.Users.yaml", text: VALID },
        { file: "b/Test.Users.yaml", text: VALID },
      ]),
    ).toThrow(/already defined in a\/Test.Users.yaml/);
  });

  it("lets tasks set only declared parameters with values of the declared type", () => {
    const { definition } = parseArtifactYaml("Test.Users.yaml", VALID);
    expect(sourceArguments(definition, { passwd_path: "/tmp/p" })).toEqual({ passwd_path: "/tmp/p" });
    expect(() => sourceArguments(definition, { group_path: "/tmp/g" })).toThrow(ArtifactParameterError);
    expect(() => sourceArguments(definition, { passwd_path: 3 })).toThrow(/expects string/);
  });

  it("validates every shipped Linux definition file", () => {
    for (const name of ["Linux.Sys.Processes", "Linux.Sys.LastLogins"]) {
      const file = join(linuxArtifactsDir, `${name}.yaml`);
      expect(parseArtifactYaml(file, readFileSync(file, "utf8")).definition.name).toBe(name);
    }
  });
});

describe("row shaping", () => {
  const columns = [
    { name: "pid", type: "int" as const },
    { name: "when", type: "timestamp" as const },
    { name: "extra", type: "json" as const },
  ];

  it("orders columns, fills absent ones with null and accepts matching types", () => {
    expect(conformRow("A.B", columns, { when: "2024-01-01T00:00:00.000Z", pid: 4 })).toEqual({ pid: 4, when: "2024-01-01T00:00:00.000Z", extra: null });
  });

  it("rejects undeclared columns and mistyped values", () => {
    expect(() => conformRow("A.B", columns, { pid: 1, other: 2 })).toThrow(RowShapeError);
    expect(() => conformRow("A.B", columns, { pid: 1.5 })).toThrow(/pid expects int/);
    expect(() => conformRow("A.B", columns, { when: "yesterday" })).toThrow(/when expects timestamp/);
  });
});
