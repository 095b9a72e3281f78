import { createHash } from "node:crypto";
import { lstat, readlink, realpath } from "node:fs/promises";
import { z } from "zod";
import { parseUnitFile, unitValues } from "../parsers/systemd-unit.ts";
import { isMissing, listOptionalDirectory, problemFrom, readOptionalFile, type SourceContext, type SourceKind } from "./source.ts";

const args = z.strictObject({
  /** Highest precedence first (systemd.unit(5) "Unit File Load Path"). */
  unit_dirs: z
    .array(z.string())
    .default(["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"]),
});

const UNIT_SUFFIX = /\.(service|socket|timer|path|mount|automount|swap|target|slice|scope|device)$/;
const DEPENDENCY_DIR = /\.(wants|requires|upholds)$/;

export const linuxSystemdUnits: SourceKind<z.infer<typeof args>> = {
  kind: "linux.systemd_units",
  description: "systemd unit files with ExecStart, User, WantedBy, enablement (from .wants/.requires links) and file hash.",
  args,
  async *collect(options, context) {
    const dirs = await distinctDirs(options.unit_dirs);
    const enabled = await enabledUnitNames(dirs, context);
    const seenNames = new Set<string>();
    for (const dir of dirs) {
      for (const name of await listOptionalDirectory(context, dir)) {
        if (!UNIT_SUFFIX.test(name)) continue;
        const path = `${dir}/${name}`;
        const info = await lstat(path).catch((error: unknown) => {
          if (!isMissing(error)) context.warn(problemFrom(error, path));
          return null;
        });
        if (!info || info.isDirectory()) continue;
        const linkTarget = info.isSymbolicLink() ? await readlink(path).catch(() => null) : null;
        const masked = linkTarget === "/dev/null";
        const content = masked ? Buffer.alloc(0) : await readOptionalFile(context, path);
        const unit = parseUnitFile(content?.toString("utf8") ?? "");
        const effective = !seenNames.has(name);
        seenNames.add(name);
        const hasInstall = unit.has("Install");
        yield {
          name,
          path,
          unit_type: UNIT_SUFFIX.exec(name)![1],
          effective,
          link_target: linkTarget,
          description: unitValues(unit, "Unit", "Description").at(-1) ?? null,
          exec_start: unitValues(unit, "Service", "ExecStart").join("\n") || null,
          user: unitValues(unit, "Service", "User").at(-1) ?? null,
          wanted_by: unitValues(unit, "Install", "WantedBy").flatMap((value) => value.split(/\s+/)),
          enabled_state: masked
            ? "masked"
            : linkTarget !== null
              ? "alias"
              : enabled.has(name) || enabled.has(templateOf(name))
                ? "enabled"
                : hasInstall
                  ? "disabled"
                  : "static",
          sha256: content && !masked ? createHash("sha256").update(content).digest("hex") : null,
          modified: info.mtime.toISOString(),
        };
      }
      await context.pace();
    }
  },
};

/** `/lib` is often a link to `/usr/lib`: list each real directory once, keeping the first (highest precedence) spelling. */
async function distinctDirs(dirs: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const dir of dirs) {
    const real = await realpath(dir).catch(() => null);
    if (real === null || seen.has(real)) continue;
    seen.add(real);
    result.push(dir);
  }
  return result;
}

/** `systemctl enable` creates links in `<target>.wants/` (or `.requires/`); their names are the enabled units. */
async function enabledUnitNames(dirs: string[], context: SourceContext): Promise<Set<string>> {
  const names = new Set<string>();
  for (const dir of dirs) {
    for (const entry of await listOptionalDirectory(context, dir)) {
      if (!DEPENDENCY_DIR.test(entry)) continue;
      for (const name of await listOptionalDirectory(context, `${dir}/${entry}`)) {
        names.add(name);
        names.add(templateOf(name));
      }
    }
  }
  return names;
}

/** `getty@tty1.service` is an instance of `getty@.service`. */
function templateOf(name: string): string {
  return name.replace(/@[^.]+\./, "@.");
}
