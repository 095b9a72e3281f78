import { createHash } from "node:crypto";
import { ParseError, type ParseResult } from "./errors.ts";

export interface AuthorizedKey {
  line: number;
  keyType: string;
  /** OpenSSH's `SHA256:` fingerprint: unpadded base64 of the SHA-256 of the key blob. */
  fingerprintSha256: string;
  comment: string;
  options: string;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v0[01]@openssh\.com)?$/;

/** Parses an authorized_keys file (sshd(8) AUTHORIZED_KEYS FILE FORMAT): `[options] keytype base64 [comment]`. */
export function parseAuthorizedKeys(text: string): ParseResult<AuthorizedKey> {
  const result: ParseResult<AuthorizedKey> = { records: [], errors: [] };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, "").trim();
    if (content === "" || content.startsWith("#")) return;
    try {
      result.records.push(parseAuthorizedKeyLine(content, line));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      result.errors.push(error);
    }
  });
  return result;
}

function parseAuthorizedKeyLine(content: string, line: number): AuthorizedKey {
  const first = readToken(content, line);
  let options = "";
  let remainder = first.rest;
  let keyType = first.token;
  if (!KEY_TYPE.test(keyType)) {
    options = first.token;
    const second = readToken(remainder, line);
    keyType = second.token;
    remainder = second.rest;
  }
  if (!KEY_TYPE.test(keyType)) throw new ParseError("unknown-type", "authorized key", `unknown key type ${JSON.stringify(keyType)}`, { line });
  const third = readToken(remainder, line);
  const blob = decodeKeyBlob(third.token, line);
  const blobType = readSshString(blob, 0, line).toString("latin1");
  if (blobType !== keyType) {
    throw new ParseError("bad-value", "authorized key", `key blob is a ${JSON.stringify(blobType)}, line says ${keyType}`, { line });
  }
  return {
    line,
    keyType,
    fingerprintSha256: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
    comment: third.rest,
    options,
  };
}

/** Reads one whitespace-delimited token; double quotes (with backslash escapes) may hide spaces inside options. */
function readToken(text: string, line: number): { token: string; rest: string } {
  let inQuotes = false;
  let index = 0;
  for (; index < text.length; index++) {
    const char = text[index]!;
    if (char === "\\" && inQuotes) index++;
    else if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (char === " " || char === "\t")) break;
  }
  if (inQuotes) throw new ParseError("bad-value", "authorized key", "unterminated quoted option", { line });
  const token = text.slice(0, index);
  if (token === "") throw new ParseError("bad-field-count", "authorized key", "missing key type or key data", { line });
  return { token, rest: text.slice(index).trim() };
}

function decodeKeyBlob(base64: string, line: number): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new ParseError("bad-encoding", "authorized key", "key data is not base64", { line });
  }
  return Buffer.from(base64, "base64");
}

/** An SSH wire `string`: uint32 big-endian length then that many bytes (RFC 4251 §5). */
function readSshString(blob: Buffer, offset: number, line: number): Buffer {
  if (blob.length < offset + 4) {
    throw new ParseError("truncated", "ssh key blob length", "blob ends before the length field", { line, need: offset + 4, have: blob.length });
  }
  const length = blob.readUInt32BE(offset);
  if (blob.length < offset + 4 + length) {
    throw new ParseError("truncated", "ssh key blob string", "blob ends inside a string", { line, need: offset + 4 + length, have: blob.length });
  }
  return blob.subarray(offset + 4, offset + 4 + length);
}
