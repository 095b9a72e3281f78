import { describe, expect, it } from "vitest";
import { ConsoleClient, ConsoleHttpError, ConsoleUrlError, parseConsoleUrl, ReenrollRequiredError, TransportError } from "../src/lib/transport.ts";

const progress = { state: "running", progress: 0.5 } as const;

function answering(status: number, body: string): ConsoleClient {
  return new ConsoleClient({ consoleUrl: "https://corvid.example", fetch: async () => new Response(body, { status }) });
}

describe("console transport", () => {
  it("allows HTTPS anywhere and plain HTTP only to loopback, origin only", () => {
    expect(parseConsoleUrl("https://corvid.example:8443/")).toBe("https://corvid.example:8443");
    expect(parseConsoleUrl(" http://127.0.0.1:3000 ")).toBe("http://127.0.0.1:3000");
    expect(parseConsoleUrl("http://localhost:3000")).toBe("http://localhost:3000");
    expect(() => parseConsoleUrl("http://corvid.example")).toThrow(ConsoleUrlError);
    expect(() => parseConsoleUrl("https://corvid.example/api")).toThrow(/origin only/);
    expect(() => parseConsoleUrl("ftp://corvid.example")).toThrow(/https/);
    expect(() => parseConsoleUrl("not a url")).toThrow(/not a URL/);
  });

  it("refuses to send a signed request before enrollment", async () => {
    await expect(answering(200, "{}").reportProgress("t1", progress)).rejects.toThrow(/not enrolled/);
  });

  it("maps console errors: 410 means enroll again, others keep status and code, non-protocol bodies are named", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const client = (status: number, body: string) =>
      new ConsoleClient({ consoleUrl: "https://corvid.example", identity: { responderId: "r_x", privateKey: keys.privateKey }, fetch: async () => new Response(body, { status }) });
    await expect(client(410, JSON.stringify({ error: { code: "reenroll", message: "revoked" } })).reportProgress("t1", progress)).rejects.toBeInstanceOf(ReenrollRequiredError);
    const conflict = await client(409, JSON.stringify({ error: { code: "conflict", message: "task cancelled" } })).reportProgress("t1", progress).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConsoleHttpError);
    expect(conflict).toMatchObject({ status: 409, code: "conflict" });
    await expect(client(502, "<html>bad gateway</html>").reportProgress("t1", progress)).rejects.toThrow(/502 http-error: <html>bad gateway/);
    await expect(client(200, '{"unexpected":true}').beginUpload({ taskId: "t1", artifact: "Browser.History", name: "x.jsonl", kind: "table", contentType: "application/x-ndjson", size: 1, sha256: "a".repeat(64) })).rejects.toThrow(/does not match the protocol/);
  });

  it("reports an unreachable console as a transport error", async () => {
    const client = new ConsoleClient({ consoleUrl: "https://corvid.example", fetch: async () => Promise.reject(new TypeError("Failed to fetch")) });
    await expect(client.enroll({} as never)).rejects.toBeInstanceOf(TransportError);
  });
});
