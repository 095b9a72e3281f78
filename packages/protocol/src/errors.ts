/** Codes for errors thrown by this package's helpers (bad keys, bad encodings, bad arguments). */
export type ProtocolErrorCode = "invalid-encoding" | "invalid-key" | "invalid-argument";

/** The one error type the helpers throw, so callers can tell bad input from bugs. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}
