import { describe, expect, it } from "vitest";
import { authenticatorCode } from "../src/index.ts";

// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last six of the eight published digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("authenticatorCode", () => {
  it.each([
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
    [20000000000, "353130"],
  ])("gives the RFC 6238 code at T=%i", (time, code) => {
    expect(authenticatorCode(RFC_SECRET, time)).toBe(code);
  });

  it("rejects a secret that is not base32", () => {
    expect(() => authenticatorCode("not-base32!", 0)).toThrow(/not a base32 secret/);
  });
});
