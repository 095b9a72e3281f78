/** Where in a rule file something went wrong; line and column are 1-based when known. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** A rule that cannot be loaded: parse error, schema violation or an unsupported/invalid detection. */
export class SigmaRuleError extends Error {
  override readonly name = "SigmaRuleError";
  constructor(
    readonly location: SourceLocation,
    readonly reason: string,
  ) {
    const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    super(`${where}: ${reason}`);
  }
}

/**
 * Raised while compiling a detection; `path` points into the rule document (e.g. detection → selection → key)
 * so the loader can turn it into a file line.
 */
export class SigmaCompileError extends Error {
  override readonly name = "SigmaCompileError";
  constructor(
    readonly path: (string | number)[],
    readonly reason: string,
  ) {
    super(`${path.join(".")}: ${reason}`);
  }
}
