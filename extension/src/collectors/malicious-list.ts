const EXTENSION_ID = /^[a-p]{32}$/;

/** One extension ID per line; `#` starts a comment (the list names the write-up each cluster came from). */
export function parseExtensionIdList(text: string): string[] {
  const ids = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const candidate = line.replace(/#.*/, "").trim().toLowerCase();
    if (EXTENSION_ID.test(candidate)) ids.add(candidate);
  }
  return [...ids].sort();
}
