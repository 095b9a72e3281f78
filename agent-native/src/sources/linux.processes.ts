import { readlink, stat } from "node:fs/promises";
import { z } from "zod";
import { parseBootTime, parseCmdline, parseProcStat, parseStatusUid, processStartTime } from "../parsers/proc.ts";
import { loadAccounts } from "./accounts.ts";
import { FileHashCache } from "./hash.ts";
import { isMissing, listOptionalDirectory, problemFrom, readOptionalFile, readOptionalText, type Row, type SourceContext, type SourceKind } from "./source.ts";

const args = z.strictObject({
  proc_root: z.string().default("/proc"),
  passwd_path: z.string().default("/etc/passwd"),
  group_path: z.string().default("/etc/group"),
  hash_executables: z.boolean().default(true),
  /** Executables larger than this are listed without a hash. */
  max_hash_bytes: z.number().int().positive().default(512 * 1024 * 1024),
});

type Args = z.infer<typeof args>;

const DELETED_SUFFIX = " (deleted)";

export const linuxProcesses: SourceKind<Args> = {
  kind: "linux.processes",
  description: "Running processes from /proc: ids, owner, command line, executable path and SHA-256, start time.",
  args,
  async *collect(options, context) {
    const procStat = await readOptionalText(context, `${options.proc_root}/stat`);
    if (procStat === null) return;
    const bootTimeSec = parseBootTime(procStat);
    const { userNameByUid } = await loadAccounts(context, options.passwd_path, options.group_path);
    const hashes = new FileHashCache();
    const pids = (await listOptionalDirectory(context, options.proc_root)).filter((name) => /^\d+$/.test(name)).map(Number);
    for (const pid of pids.sort((a, b) => a - b)) {
      const row = await describeProcess(pid, bootTimeSec, userNameByUid, hashes, options, context);
      if (row) yield row;
      await context.pace();
    }
  },
};

/** Null when the process exited while being read: that is normal churn, not a problem. */
async function describeProcess(
  pid: number,
  bootTimeSec: number,
  userNameByUid: Map<number, string>,
  hashes: FileHashCache,
  options: Args,
  context: SourceContext,
): Promise<Row | null> {
  const dir = `${options.proc_root}/${pid}`;
  const statText = await readOptionalText(context, `${dir}/stat`);
  const statusText = await readOptionalText(context, `${dir}/status`);
  const cmdline = await readOptionalFile(context, `${dir}/cmdline`);
  if (statText === null || statusText === null || cmdline === null) return null;
  let stat: ReturnType<typeof parseProcStat>;
  try {
    stat = parseProcStat(statText);
  } catch (error) {
    context.warn(problemFrom(error, `${dir}/stat`));
    return null;
  }
  const uid = parseStatusUid(statusText);
  const exe = await executableOf(dir, context);
  const exeHash = exe && options.hash_executables ? await hashExecutable(dir, hashes, options, context) : null;
  return {
    pid,
    ppid: stat.ppid,
    name: stat.comm,
    state: stat.state,
    uid,
    user: uid === null ? null : (userNameByUid.get(uid) ?? null),
    cmdline: parseCmdline(cmdline).join(" "),
    exe: exe?.path ?? null,
    exe_deleted: exe?.deleted ?? false,
    exe_sha256: exeHash?.sha256 ?? null,
    exe_size: exeHash?.size ?? null,
    start_time: processStartTime(bootTimeSec, stat.startTicks).toISOString(),
    cpu_start_ticks: stat.startTicks,
    threads: stat.threads,
    rss_bytes: stat.rssPages * PAGE_SIZE,
  };
}

/** Linux on x86-64 and most aarch64 kernels uses 4 KiB pages; RSS is reported in pages. */
const PAGE_SIZE = 4096;

async function executableOf(dir: string, context: SourceContext): Promise<{ path: string; deleted: boolean } | null> {
  try {
    const target = await readlink(`${dir}/exe`);
    const deleted = target.endsWith(DELETED_SUFFIX);
    return { path: deleted ? target.slice(0, -DELETED_SUFFIX.length) : target, deleted };
  } catch (error) {
    // Kernel threads have no executable (ENOENT); other users' processes need privileges (EACCES).
    if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== "EACCES") context.warn(problemFrom(error, `${dir}/exe`));
    return null;
  }
}

async function hashExecutable(dir: string, hashes: FileHashCache, options: Args, context: SourceContext): Promise<{ sha256: string; size: number } | null> {
  // Reading through /proc/<pid>/exe hashes the file the process runs, even if it was deleted or replaced.
  const link = `${dir}/exe`;
  try {
    const info = await stat(link);
    if (info.size > options.max_hash_bytes) {
      context.warn({ path: link, code: "too-large", message: `executable of ${info.size} bytes not hashed (limit ${options.max_hash_bytes})` });
      return null;
    }
    return await hashes.hash(link, context.signal);
  } catch (error) {
    if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== "EACCES") context.warn(problemFrom(error, link));
    return null;
  }
}
