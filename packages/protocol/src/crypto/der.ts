import { ProtocolError } from "../errors.ts";

// Just enough DER to find a certificate's SubjectPublicKeyInfo: WebCrypto imports "spki" but cannot parse
// certificates, and the extension has no X.509 library. Every length is checked against its parent, so
// truncated or hostile input ends in a ProtocolError, never an out-of-range read.

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const CONTEXT_0 = 0xa0;
/** Lengths this large never occur in a CA certificate; refusing them keeps the arithmetic exact. */
const MAX_LENGTH_BYTES = 3;

interface Element {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  end: number;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError("invalid-encoding", `not a DER certificate: ${message}`);
}

function readElement(bytes: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw invalid(`truncated at byte ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw invalid(`multi-byte tag at byte ${offset}`);
  const first = bytes[offset + 1]!;
  let contentStart = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw invalid(`indefinite length at byte ${offset}`);
    if (count > MAX_LENGTH_BYTES) throw invalid(`length of ${count} bytes at byte ${offset}`);
    if (contentStart + count > limit) throw invalid(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += count;
  }
  if (contentStart + length > limit) throw invalid(`element at byte ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end: contentStart + length };
}

function expectTag(element: Element, tag: number, what: string): Element {
  if (element.tag !== tag) throw invalid(`expected ${what} at byte ${element.start}, found tag 0x${element.tag.toString(16)}`);
  return element;
}

/** The DER bytes of the SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1). */
export function certificateSpki(der: Uint8Array): Uint8Array {
  const certificate = expectTag(readElement(der, 0, der.length), SEQUENCE, "the certificate SEQUENCE");
  if (certificate.end !== der.length) throw invalid("trailing bytes after the certificate");
  const tbs = expectTag(readElement(der, certificate.contentStart, certificate.end), SEQUENCE, "tbsCertificate");
  let element = readElement(der, tbs.contentStart, tbs.end);
  if (element.tag === CONTEXT_0) element = readElement(der, element.end, tbs.end);
  expectTag(element, INTEGER, "serialNumber");
  // signature, issuer, validity, subject: four SEQUENCEs before subjectPublicKeyInfo.
  for (const field of ["signature", "issuer", "validity", "subject"]) {
    element = expectTag(readElement(der, element.end, tbs.end), SEQUENCE, field);
  }
  const spki = expectTag(readElement(der, element.end, tbs.end), SEQUENCE, "subjectPublicKeyInfo");
  return der.slice(spki.start, spki.end);
}

/** AlgorithmIdentifier { id-ecPublicKey, prime256v1 } exactly as DER encodes it. */
const EC_P256_ALGORITHM = new Uint8Array([
  0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
]);

/** True when the SubjectPublicKeyInfo holds an EC key on P-256, the only CA key type Corvid attests with. */
export function isEcP256Spki(spki: Uint8Array): boolean {
  const outer = readElement(spki, 0, spki.length);
  if (outer.tag !== SEQUENCE || outer.end !== spki.length) return false;
  const algorithm = readElement(spki, outer.contentStart, outer.end);
  const bytes = spki.subarray(algorithm.start, algorithm.end);
  return bytes.length === EC_P256_ALGORITHM.length && bytes.every((byte, i) => byte === EC_P256_ALGORITHM[i]);
}
