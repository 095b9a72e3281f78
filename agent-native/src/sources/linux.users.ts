import { z } from "zod";
import { isLoginShell } from "../parsers/accounts.ts";
import { loadAccounts } from "./accounts.ts";
import type { SourceKind } from "./source.ts";

const args = z.strictObject({
  passwd_path: z.string().default("/etc/passwd"),
  group_path: z.string().default("/etc/group"),
});

export const linuxUsers: SourceKind<z.infer<typeof args>> = {
  kind: "linux.users",
  description: "Local accounts from /etc/passwd with their primary and supplementary groups from /etc/group.",
  args,
  async *collect(options, context) {
    const { users, groups } = await loadAccounts(context, options.passwd_path, options.group_path);
    const groupNameByGid = new Map(groups.map((group) => [group.gid, group.name]));
    for (const user of users) {
      yield {
        username: user.username,
        uid: user.uid,
        gid: user.gid,
        primary_group: groupNameByGid.get(user.gid) ?? null,
        groups: groups.filter((group) => group.members.includes(user.username)).map((group) => group.name),
        gecos: user.gecos,
        home: user.home,
        shell: user.shell,
        login_shell: isLoginShell(user.shell),
      };
      await context.pace();
    }
  },
};
