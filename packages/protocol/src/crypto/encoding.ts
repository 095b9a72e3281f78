import { ProtocolError } from "../errors.ts";

/** Anything we accept as "bytes": strings are encoded as UTF-8. */
export type BytesLike = Uint8Array | ArrayBuffer | string;

const utf8 = new TextEncoder();

export function toBytes(data: BytesLike | null | undefined): Uint8Array {
  if (data === null || data === undefined) return new Uint8Array(0);
  if (typeof data === "string") return utf8.encode(data);
  if (data instanceof Uint8Array) return data;
  return new Uint8Array(data);
}

/** WebCrypto typings want an ArrayBuffer-backed view; copying also detaches us from caller mutation. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  // Uint8Array's own slice always copies; a Node Buffer overrides slice() with a view into its shared pool.
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ProtocolError("invalid-encoding", "expected an even number of hex digits");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64UrlToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new ProtocolError("invalid-encoding", "expected unpadded base64url");
  }
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return base64ToBytes(base64);
}

export function base64ToBytes(base64: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new ProtocolError("invalid-encoding", "expected base64");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lowercase, without padding. */
export function bytesToBase32(bytes: Uint8Array): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/** RFC 4648 base32 in either case; spaces, hyphens and `=` padding (as people copy secrets) are ignored. */
export function base32ToBytes(text: string): Uint8Array {
  const clean = text.replace(/[\s=-]/g, "").toLowerCase();
  const bytes = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let length = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new ProtocolError("invalid-encoding", `not a base32 character: ${JSON.stringify(char)}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes[length++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return bytes;
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
