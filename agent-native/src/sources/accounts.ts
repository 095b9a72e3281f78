import { parseGroup, parsePasswd, type GroupEntry, type PasswdEntry } from "../parsers/accounts.ts";
import { readOptionalText, warnAll, type SourceContext } from "./source.ts";

export interface Accounts {
  users: PasswdEntry[];
  groups: GroupEntry[];
  userNameByUid: Map<number, string>;
}

/** Local accounts for the sources that resolve UIDs or walk home directories. */
export async function loadAccounts(context: SourceContext, passwdPath: string, groupPath: string): Promise<Accounts> {
  const passwdText = await readOptionalText(context, passwdPath);
  const groupText = await readOptionalText(context, groupPath);
  const passwd = parsePasswd(passwdText ?? "");
  const group = parseGroup(groupText ?? "");
  warnAll(context, passwdPath, passwd.errors);
  warnAll(context, groupPath, group.errors);
  return {
    users: passwd.records,
    groups: group.records,
    userNameByUid: new Map(passwd.records.map((user) => [user.uid, user.username])),
  };
}

/** Each distinct home directory once, with the first account that uses it (many system accounts share `/`). */
export function distinctHomes(users: PasswdEntry[]): PasswdEntry[] {
  const seen = new Set<string>();
  return users.filter((user) => {
    if (user.home === "" || user.home === "/" || seen.has(user.home)) return false;
    seen.add(user.home);
    return true;
  });
}
