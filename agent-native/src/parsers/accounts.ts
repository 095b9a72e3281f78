import { ParseError, parseDecimal, type ParseResult } from "./errors.ts";

export interface PasswdEntry {
  username: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Parses /etc/passwd (`name:password:uid:gid:gecos:home:shell`); NIS `+`/`-` lines are skipped, not errors. */
export function parsePasswd(text: string): ParseResult<PasswdEntry> {
  return parseColonFile(text, "passwd entry", 7, (fields, line) => ({
    username: fields[0]!,
    uid: parseDecimal(fields[2]!, "passwd uid", line),
    gid: parseDecimal(fields[3]!, "passwd gid", line),
    gecos: fields[4]!,
    home: fields[5]!,
    shell: fields[6]!,
  }));
}

/** Parses /etc/group (`name:password:gid:member,member`). */
export function parseGroup(text: string): ParseResult<GroupEntry> {
  return parseColonFile(text, "group entry", 4, (fields, line) => ({
    name: fields[0]!,
    gid: parseDecimal(fields[2]!, "group gid", line),
    members: fields[3]!.split(",").filter((member) => member.length > 0),
  }));
}

function parseColonFile<T>(
  text: string,
  what: string,
  fieldCount: number,
  build: (fields: string[], line: number) => T,
): ParseResult<T> {
  const result: ParseResult<T> = { records: [], errors: [] };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, "");
    if (content.trim() === "" || content.startsWith("#") || content.startsWith("+") || content.startsWith("-")) return;
    const fields = content.split(":");
    if (fields.length !== fieldCount) {
      result.errors.push(
        new ParseError("bad-field-count", what, `expected ${fieldCount} fields, got ${fields.length}`, {
          line,
          need: fieldCount,
          have: fields.length,
        }),
      );
      return;
    }
    if (fields[0] === "") {
      result.errors.push(new ParseError("bad-value", what, "empty name", { line }));
      return;
    }
    try {
      result.records.push(build(fields, line));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.errors.push(error);
    }
  });
  return result;
}

/** Shells that refuse interactive logins; an account with one of these cannot log in with a password or key. */
export function isLoginShell(shell: string): boolean {
  return !/(^|\/)(nologin|false)$/.test(shell) && shell !== "/bin/sync" && shell !== "";
}
