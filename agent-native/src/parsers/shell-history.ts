export type Shell = "bash" | "zsh" | "fish" | "sh";

export interface HistoryEntry {
  line: number;
  command: string;
  time: Date | null;
}

/** Parses a history file of the given shell; every shell's format degrades to one command per line. */
export function parseShellHistory(text: string, shell: Shell): HistoryEntry[] {
  switch (shell) {
    case "zsh":
      return parseZshHistory(text);
    case "fish":
      return parseFishHistory(text);
    case "bash":
    case "sh":
      return parseBashHistory(text);
  }
}

/** Bash writes `#<epoch>` before a command when HISTTIMEFORMAT is set. */
function parseBashHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  let pendingTime: Date | null = null;
  text.split("\n").forEach((raw, index) => {
    const content = raw.replace(/\r$/, "");
    const stamp = /^#(\d{9,11})$/.exec(content);
    if (stamp) {
      pendingTime = new Date(Number(stamp[1]) * 1000);
      return;
    }
    if (content.trim() === "") return;
    entries.push({ line: index + 1, command: content, time: pendingTime });
    pendingTime = null;
  });
  return entries;
}

/** Zsh EXTENDED_HISTORY: `: <start>:<elapsed>;<command>`; a trailing backslash continues a command. */
function parseZshHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const startLine = index + 1;
    let content = lines[index]!.replace(/\r$/, "");
    while (content.endsWith("\\") && index + 1 < lines.length) {
      index++;
      content = `${content.slice(0, -1)}\n${lines[index]!.replace(/\r$/, "")}`;
    }
    if (content.trim() === "") continue;
    const extended = /^: (\d+):\d+;([\s\S]*)$/.exec(content);
    entries.push(
      extended
        ? { line: startLine, command: extended[2]!, time: new Date(Number(extended[1]) * 1000) }
        : { line: startLine, command: content, time: null },
    );
  }
  return entries;
}

/** Fish keeps a YAML-like list: `- cmd: <command>` then `  when: <epoch>` (and `  paths:`). */
function parseFishHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const content = raw.replace(/\r$/, "");
    const command = /^- cmd: (.*)$/.exec(content);
    if (command) {
      entries.push({ line: index + 1, command: unescapeFish(command[1]!), time: null });
      return;
    }
    const when = /^\s+when: (\d+)$/.exec(content);
    const last = entries.at(-1);
    if (when && last && last.time === null) last.time = new Date(Number(when[1]) * 1000);
  });
  return entries;
}

/** Fish escapes newlines and backslashes in `cmd:` values. */
function unescapeFish(value: string): string {
  return value.replace(/\\(.)/g, (_match, char: string) => (char === "n" ? "\n" : char));
}
