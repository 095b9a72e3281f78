import { basename } from "node:path";
import { z } from "zod";
import { parseCrontab } from "../parsers/crontab.ts";
import { listOptionalDirectory, readOptionalText, warnAll, type Row, type SourceContext, type SourceKind } from "./source.ts";

const args = z.strictObject({
  system_crontabs: z.array(z.string()).default(["/etc/crontab"]),
  system_crontab_dirs: z.array(z.string()).default(["/etc/cron.d"]),
  /** Debian keeps user crontabs in crontabs/, Red Hat directly in /var/spool/cron. */
  user_crontab_dirs: z.array(z.string()).default(["/var/spool/cron/crontabs", "/var/spool/cron"]),
  periodic_dirs: z.array(z.string()).default(["/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/cron.yearly"]),
});

type Args = z.infer<typeof args>;

export const linuxCron: SourceKind<Args> = {
  kind: "linux.cron",
  description: "Cron jobs: /etc/crontab, /etc/cron.d, per-user crontabs and the scripts in /etc/cron.{hourly,daily,…}.",
  args,
  async *collect(options, context) {
    for (const path of options.system_crontabs) yield* crontabRows(path, "system", null, context);
    for (const dir of options.system_crontab_dirs) {
      for (const name of await listOptionalDirectory(context, dir)) {
        if (!isCronFileName(name)) continue;
        yield* crontabRows(`${dir}/${name}`, "system", null, context);
      }
    }
    for (const dir of options.user_crontab_dirs) {
      for (const name of await listOptionalDirectory(context, dir)) {
        // /var/spool/cron also holds the crontabs/ directory on Debian; reading it as a file fails with EISDIR.
        if (name === "crontabs" || !isCronFileName(name)) continue;
        yield* crontabRows(`${dir}/${name}`, "user", name, context);
      }
    }
    for (const dir of options.periodic_dirs) {
      const period = basename(dir).replace(/^cron\./, "");
      for (const name of await listOptionalDirectory(context, dir)) {
        if (!isCronFileName(name)) continue;
        yield { path: `${dir}/${name}`, source: "periodic", user: "root", schedule: `@${period}`, command: `${dir}/${name}` };
      }
    }
  },
};

/** cron ignores dotfiles and package-manager leftovers (run-parts(8) naming rules). */
function isCronFileName(name: string): boolean {
  return !name.startsWith(".") && !/(~|\.dpkg-(old|dist|new|tmp)|\.rpm(save|new|orig))$/.test(name) && name !== "placeholder";
}

async function* crontabRows(path: string, source: "system" | "user", owner: string | null, context: SourceContext): AsyncIterable<Row> {
  const text = await readOptionalText(context, path);
  if (text === null) return;
  const parsed = parseCrontab(text, { hasUserField: source === "system" });
  warnAll(context, path, parsed.errors);
  for (const entry of parsed.records) {
    const schedule = entry.special ?? [entry.minute, entry.hour, entry.dayOfMonth, entry.month, entry.dayOfWeek].join(" ");
    yield {
      path,
      source,
      user: entry.user ?? owner,
      schedule,
      minute: entry.minute,
      hour: entry.hour,
      day_of_month: entry.dayOfMonth,
      month: entry.month,
      day_of_week: entry.dayOfWeek,
      command: entry.command,
      line_number: entry.line,
    };
  }
  await context.pace();
}
