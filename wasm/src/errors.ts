/** Which on-disk format a parser was reading when it failed. */
export type ParsedFormat = "evtx" | "prefetch" | "lnk" | "regf";

export interface ParseErrorDetails {
  format: ParsedFormat;
  /** The on-disk structure being read, e.g. "chunk header", "nk cell", "MAM header". */
  structure: string;
  /** Byte offset in the input where the structure starts or the bad read happened. */
  offset: number;
  /** What was wrong, e.g. "bad signature", "truncated", "checksum mismatch". */
  reason: string;
  /** Bytes the structure needed from `offset`, when the failure is a short read. */
  need?: number;
  /** Bytes that were actually available from `offset`, when the failure is a short read. */
  have?: number;
}

/** A typed parse failure: every parser turns its wasm error values into this. */
export class ParseError extends Error {
  readonly format: ParsedFormat;
  readonly structure: string;
  readonly offset: number;
  readonly reason: string;
  readonly need: number | undefined;
  readonly have: number | undefined;

  constructor(details: ParseErrorDetails) {
    const shortRead =
      details.need !== undefined ? ` (need ${details.need} bytes, have ${details.have ?? 0})` : "";
    super(
      `${details.format}: ${details.structure} at offset 0x${details.offset.toString(16)}: ${details.reason}${shortRead}`,
    );
    this.name = "ParseError";
    this.format = details.format;
    this.structure = details.structure;
    this.offset = details.offset;
    this.reason = details.reason;
    this.need = details.need;
    this.have = details.have;
  }
}
