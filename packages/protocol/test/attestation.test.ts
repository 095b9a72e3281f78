// Console attestation: the DER reader, the CA endorsement of the console key, response signatures and the whole
// identity check a pinned responder runs before it sends its deployment token.
import { X509Certificate, createPrivateKey, sign as nodeSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ConsoleAttestationError,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  PROTOCOL_VERSION,
  ProtocolError,
  bytesToBase64Url,
  certificateSpki,
  endorseConsoleKey,
  endorsementMessage,
  generateResponderKeys,
  importCaCertificateKey,
  isEcP256Spki,
  responseBinding,
  responseSigningString,
  sha256Hex,
  signResponse,
  verifyConsoleIdentity,
  verifyEndorsement,
  verifyResponseSignature,
  type ResponderKeys,
} from "../src/index.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/attestation/${name}`, import.meta.url), "utf8");
const caPem = fixture("ca.crt");
const caDer = new Uint8Array(new X509Certificate(caPem).raw);
const rsaDer = new Uint8Array(new X509Certificate(fixture("rsa-ca.crt")).raw);
const caKeyPkcs8 = createPrivateKey(fixture("ca.key")).export({ format: "der", type: "pkcs8" });

function importCaPrivateKey(pkcs8: Uint8Array = caKeyPkcs8): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pkcs8 as Uint8Array<ArrayBuffer>, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}

const nonce = () => bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));

async function throwsProtocolError(action: () => unknown, code: string): Promise<ProtocolError> {
  const error = await Promise.resolve().then(action).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as ProtocolError).code).toBe(code);
  return error as ProtocolError;
}

describe("DER SubjectPublicKeyInfo reader", () => {
  it("finds the same SPKI as Node's X.509 parser, for EC and RSA certificates", () => {
    for (const der of [caDer, rsaDer]) {
      const expected = new X509Certificate(der).publicKey.export({ format: "der", type: "spki" });
      expect(Buffer.from(certificateSpki(der)).equals(expected)).toBe(true);
    }
    expect(isEcP256Spki(certificateSpki(caDer))).toBe(true);
    expect(isEcP256Spki(certificateSpki(rsaDer))).toBe(false);
  });

  it("gives invalid-encoding for every truncation, trailing bytes and garbage", async () => {
    for (let length = 0; length < caDer.length; length++) await throwsProtocolError(() => certificateSpki(caDer.slice(0, length)), "invalid-encoding");
    await throwsProtocolError(() => certificateSpki(new Uint8Array([...caDer, 0])), "invalid-encoding");
    for (let seed = 0; seed < 200; seed++) {
      const garbage = crypto.getRandomValues(new Uint8Array(1 + (seed % 64)));
      garbage[0] = seed % 2 === 0 ? 0x30 : garbage[0]!;
      await throwsProtocolError(() => certificateSpki(garbage), "invalid-encoding");
    }
    await throwsProtocolError(() => certificateSpki(new Uint8Array([0x30, 0x80, 0x00, 0x00])), /* indefinite */ "invalid-encoding");
    await throwsProtocolError(() => certificateSpki(new Uint8Array([0x30, 0x85, 1, 0, 0, 0, 0])), "invalid-encoding");
    await throwsProtocolError(() => certificateSpki(new Uint8Array([0x30, 0x02, 0x04, 0x00])), "invalid-encoding");
  });

  it("imports the P-256 key of a CA certificate and refuses other key types", async () => {
    const key = await importCaCertificateKey(caDer);
    expect(key.algorithm).toMatchObject({ name: "ECDSA", namedCurve: "P-256" });
    const error = await throwsProtocolError(() => importCaCertificateKey(rsaDer), "invalid-key");
    expect(error.message).toMatch(/not an EC P-256 key/);
    await throwsProtocolError(() => importCaCertificateKey(caDer.slice(0, 100)), "invalid-encoding");
  });
});

describe("CA endorsement of the console key", () => {
  it("verifies with the certificate's key, and not for another console key", async () => {
    const consoleKey = bytesToBase64Url((await generateResponderKeys()).publicKeyRaw);
    const endorsement = await endorseConsoleKey(await importCaPrivateKey(), consoleKey);
    const caKey = await importCaCertificateKey(caDer);
    expect(await verifyEndorsement(caKey, consoleKey, endorsement)).toBe(true);
    const other = bytesToBase64Url((await generateResponderKeys()).publicKeyRaw);
    expect(await verifyEndorsement(caKey, other, endorsement)).toBe(false);
  });

  it("is an IEEE P1363 signature: the DER form openssl and Node produce by default does not verify, the P1363 form does", async () => {
    const consoleKey = bytesToBase64Url((await generateResponderKeys()).publicKeyRaw);
    const caKey = await importCaCertificateKey(caDer);
    const message = endorsementMessage(consoleKey);
    const derSignature = nodeSign("sha256", message, createPrivateKey(fixture("ca.key")));
    expect(await verifyEndorsement(caKey, consoleKey, bytesToBase64Url(derSignature))).toBe(false);
    const p1363 = nodeSign("sha256", message, { key: createPrivateKey(fixture("ca.key")), dsaEncoding: "ieee-p1363" });
    expect(await verifyEndorsement(caKey, consoleKey, bytesToBase64Url(p1363))).toBe(true);
  });

  it("is domain-separated", () => {
    expect(new TextDecoder().decode(endorsementMessage("A".repeat(43)))).toBe(`corvid-console-key-v1\n${"A".repeat(43)}`);
  });
});

describe("response signatures", () => {
  const requestSignature = "S".repeat(86);

  it("bind status, body and the request's nonce and signature", async () => {
    const keys = await generateResponderKeys();
    const binding = { nonce: nonce(), requestSignature };
    const body = '{"status":"ok"}';
    const signature = await signResponse({ ...binding, status: 200, body, privateKey: keys.privateKey });
    const verify = (changes: object) => verifyResponseSignature({ ...binding, status: 200, body, consoleKey: keys.publicKey, signature, ...changes });
    expect(await verify({})).toBe(true);
    expect(await verify({ status: 201 })).toBe(false);
    expect(await verify({ body: '{"status":"ok" }' })).toBe(false);
    expect(await verify({ nonce: nonce() })).toBe(false);
    expect(await verify({ requestSignature: undefined })).toBe(false);
    expect(await verify({ signature: null })).toBe(false);
    expect(await verify({ signature: "garbage" })).toBe(false);
    expect(await verify({ consoleKey: (await generateResponderKeys()).publicKey })).toBe(false);
  });

  it("refuse fields that could shift the signed lines", async () => {
    await throwsProtocolError(() => responseSigningString({ nonce: `${nonce()}\n`, status: 200, body: "" }), "invalid-argument");
    await throwsProtocolError(() => responseSigningString({ nonce: nonce(), requestSignature: "x\ny", status: 200, body: "" }), "invalid-argument");
    await throwsProtocolError(() => responseSigningString({ nonce: nonce(), status: 1000, body: "" }), "invalid-argument");
    const text = await responseSigningString({ nonce: "n".repeat(22), status: 404, body: "abc" });
    expect(text).toBe(`corvid-response-v1\n${"n".repeat(22)}\n\n404\n${await sha256Hex("abc")}`);
  });

  it("take their binding from the request headers only when well-formed", () => {
    const good = nonce();
    expect(responseBinding(new Headers({ [HEADER_NONCE]: good }))).toEqual({ nonce: good, requestSignature: undefined });
    expect(responseBinding({ [HEADER_NONCE]: good, [HEADER_SIGNATURE]: requestSignature })).toEqual({ nonce: good, requestSignature });
    expect(responseBinding(new Headers())).toBeUndefined();
    expect(responseBinding(new Headers({ [HEADER_NONCE]: "short" }))).toBeUndefined();
    expect(responseBinding(new Headers({ [HEADER_NONCE]: good, [HEADER_SIGNATURE]: "bad" }))).toBeUndefined();
  });
});

describe("verifyConsoleIdentity", () => {
  const pin = () => sha256Hex(caDer);

  async function identityAnswer(options: { der?: Uint8Array; endorser?: CryptoKey; consoleKeys?: ResponderKeys; signFor?: string; forNonce: string }) {
    const consoleKeys = options.consoleKeys ?? (await generateResponderKeys());
    const consoleKey = bytesToBase64Url(consoleKeys.publicKeyRaw);
    const body = new TextEncoder().encode(
      JSON.stringify({
        protocolVersion: PROTOCOL_VERSION,
        caCertificate: bytesToBase64Url(options.der ?? caDer),
        consoleKey,
        endorsement: await endorseConsoleKey(options.endorser ?? (await importCaPrivateKey()), consoleKey),
      }),
    );
    const signature = await signResponse({ nonce: options.signFor ?? options.forNonce, status: 200, body, privateKey: consoleKeys.privateKey });
    return { body, signature, consoleKey };
  }

  async function failure(promise: Promise<unknown>): Promise<ConsoleAttestationError> {
    const error = await promise.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConsoleAttestationError);
    return error as ConsoleAttestationError;
  }

  it("accepts the pinned CA's endorsed key signing our nonce, with any pin spelling", async () => {
    const challenge = nonce();
    const answer = await identityAnswer({ forNonce: challenge });
    const colonPin = (await pin()).toUpperCase().match(/../g)!.join(":");
    const attested = await verifyConsoleIdentity({ pin: colonPin, nonce: challenge, status: 200, body: answer.body, signature: answer.signature });
    expect(attested.consoleKey).toBe(answer.consoleKey);
  });

  it("names the failed check: wrong pin, unusable certificate, foreign endorsement, another nonce, no signature, not JSON", async () => {
    const challenge = nonce();
    const answer = await identityAnswer({ forNonce: challenge });
    const check = (changes: Partial<Parameters<typeof verifyConsoleIdentity>[0]>) =>
      failure(verifyConsoleIdentity({ pin: "", nonce: challenge, status: 200, body: answer.body, signature: answer.signature, ...changes }));

    const wrongPin = await check({ pin: "ab".repeat(32) });
    expect(wrongPin.reason).toBe("pin-mismatch");
    expect(wrongPin.message).toContain(await pin());

    const rsa = await identityAnswer({ der: rsaDer, forNonce: challenge });
    expect((await check({ pin: await sha256Hex(rsaDer), body: rsa.body, signature: rsa.signature })).reason).toBe("bad-certificate");

    const rogueCa = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const forged = await identityAnswer({ endorser: rogueCa.privateKey, forNonce: challenge });
    expect((await check({ pin: await pin(), body: forged.body, signature: forged.signature })).reason).toBe("bad-endorsement");

    const replayed = await identityAnswer({ forNonce: challenge, signFor: nonce() });
    expect((await check({ pin: await pin(), body: replayed.body, signature: replayed.signature })).reason).toBe("bad-signature");
    expect((await check({ pin: await pin(), signature: null })).reason).toBe("unsigned");
    expect((await check({ pin: await pin(), body: new TextEncoder().encode("<html>") })).reason).toBe("malformed");
    expect((await check({ pin: await pin(), body: new TextEncoder().encode('{"protocolVersion":1}') })).reason).toBe("malformed");
  });
});
