import { z } from "zod";
import { parseShellHistory, type Shell } from "../parsers/shell-history.ts";
import { distinctHomes, loadAccounts } from "./accounts.ts";
import { readOptionalText, type SourceKind } from "./source.ts";

const HISTORY_FILES: ReadonlyArray<{ relativePath: string; shell: Shell }> = [
  { relativePath: ".bash_history", shell: "bash" },
  { relativePath: ".zsh_history", shell: "zsh" },
  { relativePath: ".zhistory", shell: "zsh" },
  { relativePath: ".local/share/fish/fish_history", shell: "fish" },
  { relativePath: ".sh_history", shell: "sh" },
  { relativePath: ".history", shell: "sh" },
];

const args = z.strictObject({
  passwd_path: z.string().default("/etc/passwd"),
  group_path: z.string().default("/etc/group"),
  /** Upload each history file as raw evidence too. */
  upload_files: z.boolean().default(true),
});

export const linuxShellHistory: SourceKind<z.infer<typeof args>> = {
  kind: "linux.shell_history",
  description: "Commands from bash, zsh and fish history files of every home directory in /etc/passwd.",
  args,
  async *collect(options, context) {
    const { users } = await loadAccounts(context, options.passwd_path, options.group_path);
    for (const user of distinctHomes(users)) {
      for (const { relativePath, shell } of HISTORY_FILES) {
        const path = `${user.home}/${relativePath}`;
        const text = await readOptionalText(context, path);
        if (text === null) continue;
        if (options.upload_files) context.attachFile({ path });
        for (const entry of parseShellHistory(text, shell)) {
          yield {
            user: user.username,
            uid: user.uid,
            shell,
            path,
            line_number: entry.line,
            time: entry.time?.toISOString() ?? null,
            command: entry.command,
          };
        }
        await context.pace();
      }
    }
  },
};
