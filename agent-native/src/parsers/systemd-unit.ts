/** Directives of one unit file: section name → directive name → values in file order (directives may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

/**
 * Parses a systemd unit file (systemd.syntax(7)): `[Section]` headers, `Key=Value` lines, `#`/`;`
 * comments and backslash line continuation. Lines that are none of these are ignored, as systemd does
 * (it only logs them).
 */
export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    let content = lines[index]!.replace(/\r$/, "").trim();
    if (content.startsWith("#") || content.startsWith(";")) continue;
    while (content.endsWith("\\") && index + 1 < lines.length) {
      index++;
      const next = lines[index]!.replace(/\r$/, "").trim();
      if (next.startsWith("#") || next.startsWith(";")) continue;
      content = `${content.slice(0, -1)} ${next}`;
    }
    const header = /^\[([^\]]+)\]$/.exec(content);
    if (header) {
      const name = header[1]!;
      section = unit.get(name) ?? new Map();
      unit.set(name, section);
      continue;
    }
    const equals = content.indexOf("=");
    if (!section || equals <= 0) continue;
    const key = content.slice(0, equals).trim();
    const value = content.slice(equals + 1).trim();
    // An empty assignment resets the list (systemd.unit(5)).
    if (value === "") section.set(key, []);
    else section.set(key, [...(section.get(key) ?? []), value]);
  }
  return unit;
}

export function unitValues(unit: UnitFile, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}
