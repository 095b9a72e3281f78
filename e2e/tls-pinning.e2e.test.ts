// HTTPS with the console's own CA: an agent enrolls with nothing but the CA fingerprint, and refuses a console
// whose CA does not match the pin.
import { existsSync, readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { HEADER_ATTEST, HEADER_CONSOLE_SIGNATURE, HEADER_NONCE, bytesToBase64Url, responderPaths, verifyConsoleIdentity } from "@corvid/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedConsole, repoRoot, runAgent, startConsole, startProcess, temporaryDirectory } from "./harness.ts";

describe("console over HTTPS with its own CA, agent pinning the CA fingerprint", () => {
  const dataDir = temporaryDirectory("corvid-e2e-tls-console-");
  const agentStates = temporaryDirectory("corvid-e2e-tls-agent-");
  let consoleServer: StartedConsole;
  let caFingerprint: string;

  beforeAll(async () => {
    consoleServer = await startConsole(dataDir.path, { CORVID_TLS: "1" });
    [, caFingerprint] = (await consoleServer.process.waitFor(/CA fingerprint \(sha256\) ([0-9a-f]{64})/)) as unknown as [string, string];
  });

  afterAll(async () => {
    await consoleServer?.process.stop();
    dataDir.remove();
    agentStates.remove();
  });

  async function deploymentToken(): Promise<string> {
    const cli = startProcess("corvid cli", process.execPath, [path.join(repoRoot, "console", "bin", "corvid.mjs"), "token", "create", "--org", "default", "--name", "tls e2e"], {
      cwd: repoRoot,
      env: { CORVID_DATA_DIR: dataDir.path, DATABASE_URL: "" },
    });
    expect(await cli.exited, cli.text).toBe(0);
    return cli.text.match(/token: (\S+)/)![1]!;
  }

  it("enrolls over HTTPS when the pinned fingerprint is the console's CA", async () => {
    expect(consoleServer.url).toMatch(/^https:/);
    const enroll = runAgent(["enroll", "--console", consoleServer.url, "--token", await deploymentToken(), "--ca-fingerprint", caFingerprint, "--state-dir", path.join(agentStates.path, "good")]);
    expect(await enroll.exited, enroll.text).toBe(0);
    expect(enroll.text).toMatch(/enrolled as r_[a-z2-7]+/);
  });

  it("attests (for the extension, which cannot see TLS) with the same CA it serves TLS with", async () => {
    const nonce = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
    const answer = await new Promise<{ status: number; signature: string | undefined; body: Uint8Array }>((resolve, reject) => {
      const request = https.request(
        consoleServer.url + responderPaths.identity,
        { method: "POST", ca: readFileSync(path.join(dataDir.path, "tls", "ca.crt")), headers: { "content-type": "application/json", [HEADER_ATTEST]: "1", [HEADER_NONCE]: nonce } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode!, signature: response.headers[HEADER_CONSOLE_SIGNATURE] as string | undefined, body: new Uint8Array(Buffer.concat(chunks)) }));
        },
      );
      request.on("error", reject);
      request.end("{}");
    });
    expect(answer.status).toBe(200);
    await expect(verifyConsoleIdentity({ pin: caFingerprint, nonce, ...answer })).resolves.toMatchObject({ consoleKey: expect.any(String) });
  });

  it("will not serve plain HTTP on a non-loopback address", async () => {
    const unused = temporaryDirectory("corvid-e2e-plain-");
    try {
      const plain = startProcess("console", process.execPath, ["server.js"], {
        cwd: path.join(repoRoot, "console"),
        env: { HOST: "0.0.0.0", PORT: "0", CORVID_DATA_DIR: path.join(unused.path, "data"), DATABASE_URL: "" },
      });
      expect(await plain.exited).toBe(1);
      expect(plain.text).toMatch(/refusing to serve plain HTTP on 0\.0\.0\.0/);
      expect(existsSync(path.join(unused.path, "data"))).toBe(false);
    } finally {
      unused.remove();
    }
  });

  it("refuses the console when the pinned fingerprint belongs to another CA", async () => {
    const wrongPin = caFingerprint.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const enroll = runAgent(["enroll", "--console", consoleServer.url, "--token", await deploymentToken(), "--ca-fingerprint", wrongPin, "--state-dir", path.join(agentStates.path, "bad")]);
    expect(await enroll.exited).not.toBe(0);
    expect(enroll.text).not.toMatch(/enrolled as/);
  });
});
