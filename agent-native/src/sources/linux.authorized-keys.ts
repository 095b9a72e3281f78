import { z } from "zod";
import { parseAuthorizedKeys } from "../parsers/authorized-keys.ts";
import { distinctHomes, loadAccounts } from "./accounts.ts";
import { readOptionalText, warnAll, type SourceKind } from "./source.ts";

const args = z.strictObject({
  passwd_path: z.string().default("/etc/passwd"),
  group_path: z.string().default("/etc/group"),
  /** Relative to each home directory (sshd's default AuthorizedKeysFile). */
  files: z.array(z.string()).default([".ssh/authorized_keys", ".ssh/authorized_keys2"]),
});

export const linuxAuthorizedKeys: SourceKind<z.infer<typeof args>> = {
  kind: "linux.authorized_keys",
  description: "SSH public keys allowed to log in as each user: type, SHA256 fingerprint, comment, options.",
  args,
  async *collect(options, context) {
    const { users } = await loadAccounts(context, options.passwd_path, options.group_path);
    for (const user of distinctHomes(users)) {
      for (const relativePath of options.files) {
        const path = `${user.home}/${relativePath}`;
        const text = await readOptionalText(context, path);
        if (text === null) continue;
        const parsed = parseAuthorizedKeys(text);
        warnAll(context, path, parsed.errors);
        for (const key of parsed.records) {
          yield {
            user: user.username,
            uid: user.uid,
            path,
            line_number: key.line,
            key_type: key.keyType,
            fingerprint_sha256: key.fingerprintSha256,
            comment: key.comment,
            options: key.options,
          };
        }
        await context.pace();
      }
    }
  },
};
