import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateResponderKeys, PROTOCOL_VERSION, type CheckinRequest } from "@corvid/protocol";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientFor, enroll, loadIdentity } from "../src/enroll.ts";
import { gatherFacts, ResourceMeter } from "../src/facts.ts";
import { silentLogger } from "../src/log.ts";
import { StateStore } from "../src/state.ts";
import { CaPinError, ConsoleClient, ConsoleHttpError, ConsoleUrlError, parseConsoleUrl, ReenrollRequiredError, TransportError } from "../src/transport.ts";
import { TestConsole } from "./console-server.ts";
import { createTestPki } from "./tls-fixtures.ts";

const scratch = mkdtempSync(join(tmpdir(), "corvid-transport-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let stateCounter = 0;
const newState = () => new StateStore(join(scratch, `state-${++stateCounter}`));

function checkinBody(): CheckinRequest {
  return { protocolVersion: PROTOCOL_VERSION, facts: gatherFacts(new ResourceMeter(), ["test"]), activeTaskIds: [] };
}

describe("console URL policy", () => {
  it("accepts https anywhere and plain http only on loopback", () => {
    expect(parseConsoleUrl("https://console.example.org:8443").href).toBe("https://console.example.org:8443/");
    for (const url of ["http://127.0.0.1:3000", "http://127.8.9.10", "http://localhost:80", "http://[::1]:8080"]) expect(() => parseConsoleUrl(url)).not.toThrow();
    expect(() => parseConsoleUrl("http://10.0.0.5:3000")).toThrow(/only loopback/);
    expect(() => parseConsoleUrl("http://console.example.org")).toThrow(ConsoleUrlError);
    expect(() => parseConsoleUrl("ftp://127.0.0.1")).toThrow(/https/);
    expect(() => parseConsoleUrl("https://console.example.org/api")).toThrow(/without a path/);
    expect(() => parseConsoleUrl("not a url")).toThrow(/not a URL/);
  });
});

describe("enrollment and signed requests over loopback HTTP", () => {
  let console_: TestConsole;
  let url: string;
  beforeEach(async () => {
    console_ = new TestConsole();
    url = await console_.start();
  });
  afterEach(() => console_.stop());

  it("enrolls, stores private state with mode 0600, and signs check-ins the console verifies", async () => {
    const state = newState();
    const enrollment = await enroll(state, { consoleUrl: url, deploymentToken: console_.token, tags: ["web", "prod"] }, silentLogger);
    expect(console_.responders.has(enrollment.responderId)).toBe(true);
    expect(enrollment).toMatchObject({ consoleUrl: `${url}/`, organizationId: "org_test", tags: ["web", "prod"] });
    for (const file of ["keys.json", "enrollment.json", "deployment-token"]) expect(statSync(state.path(file)).mode & 0o777).toBe(0o600);
    expect(statSync(state.dir).mode & 0o777).toBe(0o700);

    const client = clientFor(await loadIdentity(state));
    try {
      const answer = await client.checkin(checkinBody(), { wait: true });
      expect(answer).toEqual({ status: "ok", nextCheckinSec: 1, tasks: [], cancelTaskIds: [] });
      await client.checkin(checkinBody(), { wait: false });
    } finally {
      client.close();
    }
    expect(console_.rejections).toEqual([]);
    expect(console_.checkins).toHaveLength(2);
    expect(console_.checkins[0]!.facts).toMatchObject({ platform: "linux", tags: ["test"], resources: { rssBytes: expect.any(Number), cpuPercent: expect.any(Number) } });
  });

  it("refuses a wrong deployment token with a clear error", async () => {
    await expect(enroll(newState(), { consoleUrl: url, deploymentToken: `cvd_dt_${"a".repeat(52)}` }, silentLogger)).rejects.toThrow(/401 unauthorized: bad deployment token/);
  });

  it("gets 401 when signing with a key that is not the enrolled one", async () => {
    const state = newState();
    const enrollment = await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    const impostor = new ConsoleClient({ consoleUrl: url, identity: { responderId: enrollment.responderId, keys: await generateResponderKeys() } });
    try {
      const error = await impostor.checkin(checkinBody(), { wait: false }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConsoleHttpError);
      expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    } finally {
      impostor.close();
    }
    expect(console_.rejections).toEqual([{ path: "/api/responder/v1/checkin", reason: "bad-signature" }]);
  });

  it("maps 410 to ReenrollRequiredError once the responder is revoked", async () => {
    const state = newState();
    const enrollment = await enroll(state, { consoleUrl: url, deploymentToken: console_.token }, silentLogger);
    console_.responders.get(enrollment.responderId)!.revoked = true;
    const client = clientFor(await loadIdentity(state));
    try {
      await expect(client.checkin(checkinBody(), { wait: false })).rejects.toBeInstanceOf(ReenrollRequiredError);
    } finally {
      client.close();
    }
  });

  it("reports an unreachable console as a TransportError", async () => {
    await console_.stop();
    await expect(enroll(newState(), { consoleUrl: url, deploymentToken: console_.token }, silentLogger)).rejects.toBeInstanceOf(TransportError);
    console_ = new TestConsole();
    await console_.start();
  });
});

describe("HTTPS with a pinned console CA", () => {
  const pki = createTestPki("good");
  const rogue = createTestPki("rogue");
  const servers: TestConsole[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });
  async function startTls(tls: { key: string; cert: string }, caFingerprint?: string): Promise<{ server: TestConsole; url: string }> {
    const server = new TestConsole({ tls });
    if (caFingerprint) server.caFingerprint = caFingerprint;
    servers.push(server);
    return { server, url: await server.start() };
  }

  it("enrolls with the fingerprint, keeps the CA, and checks in over TLS", async () => {
    const { server, url } = await startTls({ key: pki.serverKey, cert: pki.serverCert }, pki.caFingerprint);
    const state = newState();
    const enrollment = await enroll(state, { consoleUrl: url, deploymentToken: server.token, caFingerprint: pki.caFingerprint.toUpperCase().match(/../g)!.join(":") }, silentLogger);
    expect(enrollment.caFingerprint).toBe(pki.caFingerprint);
    expect(statSync(state.path("ca.pem")).mode & 0o777).toBe(0o600);
    const client = clientFor(await loadIdentity(state));
    try {
      await expect(client.checkin(checkinBody(), { wait: false })).resolves.toMatchObject({ status: "ok" });
    } finally {
      client.close();
    }
    expect(server.rejections).toEqual([]);
  });

  it("refuses to enroll when the console does not present the pinned CA", async () => {
    const { server, url } = await startTls({ key: rogue.serverKey, cert: rogue.serverCert });
    await expect(enroll(newState(), { consoleUrl: url, deploymentToken: server.token, caFingerprint: pki.caFingerprint }, silentLogger)).rejects.toBeInstanceOf(CaPinError);
    expect(server.responders.size).toBe(0);
  });

  it("refuses a console whose certificate comes from another CA after enrollment", async () => {
    const good = await startTls({ key: pki.serverKey, cert: pki.serverCert });
    const state = newState();
    await enroll(state, { consoleUrl: good.url, deploymentToken: good.server.token, caFingerprint: pki.caFingerprint }, silentLogger);
    // Same state, but the console address now answers with the rogue CA's certificate.
    const impostor = await startTls({ key: rogue.serverKey, cert: rogue.serverCert });
    const identity = await loadIdentity(state);
    identity.enrollment.consoleUrl = impostor.url;
    const client = clientFor(identity);
    try {
      await expect(client.checkin(checkinBody(), { wait: false })).rejects.toThrow(/self-signed|unable to verify|certificate/i);
    } finally {
      client.close();
    }
    expect(impostor.server.checkins).toHaveLength(0);
  });

  it("takes the CA from --ca-file when the console sends only its own certificate", async () => {
    const { server, url } = await startTls({ key: pki.serverKey, cert: pki.serverLeafOnly });
    await expect(enroll(newState(), { consoleUrl: url, deploymentToken: server.token, caFingerprint: pki.caFingerprint }, silentLogger)).rejects.toThrow(/--ca-file/);
    await expect(
      enroll(newState(), { consoleUrl: url, deploymentToken: server.token, caFingerprint: rogue.caFingerprint, caPem: pki.caPem }, silentLogger),
    ).rejects.toBeInstanceOf(CaPinError);
    const state = newState();
    const enrollment = await enroll(state, { consoleUrl: url, deploymentToken: server.token, caFingerprint: pki.caFingerprint, caPem: pki.caPem }, silentLogger);
    expect(enrollment.caFingerprint).toBe(pki.caFingerprint);
    const client = clientFor(await loadIdentity(state));
    try {
      await expect(client.checkin(checkinBody(), { wait: false })).resolves.toMatchObject({ status: "ok" });
    } finally {
      client.close();
    }
  });

  it("refuses an untrusted self-made certificate when no fingerprint is pinned", async () => {
    const { server, url } = await startTls({ key: rogue.serverKey, cert: rogue.serverCert });
    await expect(enroll(newState(), { consoleUrl: url, deploymentToken: server.token }, silentLogger)).rejects.toBeInstanceOf(TransportError);
  });
});
