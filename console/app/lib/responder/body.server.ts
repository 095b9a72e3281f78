import type { z } from "zod";
import { malformed, tooLarge } from "./errors.server.ts";

/**
 * Reads the whole request body, refusing it as soon as it exceeds `limit`
 * (the declared Content-Length is checked first so an honest oversized request is refused unread).
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw tooLarge(`request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`request body exceeds the limit of ${limit} bytes`);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

export function parseJsonBody<T>(body: Uint8Array, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = body.byteLength === 0 ? {} : JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw malformed("request body is not valid UTF-8 JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length ? `${first.path.join(".")}: ` : "";
    throw malformed(`invalid request: ${where}${first?.message ?? "does not match the schema"}`, parsed.error);
  }
  return parsed.data;
}
