import { subtleCrypto } from "../errors.ts";
import { type BytesLike, bytesToHex, toArrayBuffer, toBytes } from "./encoding.ts";

/** Lowercase hex SHA-256 of bytes (strings are hashed as UTF-8). */
export async function sha256Hex(data: BytesLike): Promise<string> {
  return bytesToHex(await sha256Bytes(data));
}

export async function sha256Bytes(data: BytesLike): Promise<Uint8Array> {
  return new Uint8Array(await subtleCrypto().digest("SHA-256", toArrayBuffer(toBytes(data))));
}
