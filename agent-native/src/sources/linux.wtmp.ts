import { z } from "zod";
import { parseWtmp, UTMP_RECORD_SIZE } from "../parsers/wtmp.ts";
import { readOptionalFile, warnAll, type SourceKind } from "./source.ts";

const args = z.strictObject({
  paths: z.array(z.string()).default(["/var/log/wtmp"]),
});

export const linuxWtmp: SourceKind<z.infer<typeof args>> = {
  kind: "linux.wtmp",
  description: "Login, logout, boot and run-level records from wtmp-format files.",
  args,
  async *collect(options, context) {
    for (const path of options.paths) {
      const bytes = await readOptionalFile(context, path);
      if (bytes === null) continue;
      const parsed = parseWtmp(bytes);
      warnAll(context, path, parsed.errors);
      for (const record of parsed.records) {
        yield {
          path,
          type: record.type,
          pid: record.pid,
          user: record.user || null,
          tty: record.tty || null,
          host: record.host || null,
          address: record.address,
          session: record.session,
          time: record.time.toISOString(),
        };
        // Yield every 256 records: a busy server's wtmp holds hundreds of thousands.
        if (record.offset % (UTMP_RECORD_SIZE * 256) === 0) await context.pace();
      }
    }
  },
};
