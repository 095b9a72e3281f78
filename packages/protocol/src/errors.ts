/** Codes for errors thrown by this package's helpers (bad keys, bad encodings, bad arguments). */
export type ProtocolErrorCode = "invalid-encoding" | "invalid-key" | "invalid-argument" | "unsupported-platform";

/** The one error type the helpers throw, so callers can tell bad input from bugs. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** WebCrypto's SubtleCrypto, or a clear error where the platform withholds it (non-secure browser contexts). */
export function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ProtocolError(
      "unsupported-platform",
      "WebCrypto (crypto.subtle) is unavailable: browsers only provide it in secure contexts (HTTPS, localhost, extensions)",
    );
  }
  return subtle;
}
