// Throughput of request signing and verification on this machine: `npx tsx packages/protocol/scripts/bench-signing.ts [count]`.
import {
  InMemoryNonceStore,
  type SignedHeaders,
  generateResponderKeys,
  importPublicKey,
  responderIdFromPublicKey,
  responderPaths,
  signRequest,
  verifyRequest,
} from "../src/index.ts";

const count = Number(process.argv[2] ?? 5_000);
const keys = await generateResponderKeys();
const responderId = await responderIdFromPublicKey(keys.publicKeyRaw);
const body = JSON.stringify({ protocolVersion: 1, activeTaskIds: [], padding: "x".repeat(1_000) });
const path = responderPaths.checkin;

const started = performance.now();
const signed: SignedHeaders[] = [];
for (let i = 0; i < count; i++) signed.push(await signRequest({ method: "POST", path, body, keys, responderId }));
const signPerSec = count / ((performance.now() - started) / 1000);

async function verifyAll(publicKey: CryptoKey | Uint8Array): Promise<number> {
  const nonceStore = new InMemoryNonceStore();
  const begin = performance.now();
  for (const headers of signed) {
    const result = await verifyRequest({ method: "POST", path, headers, body, publicKey, expectedResponderId: responderId, now: Date.now(), nonceStore });
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  }
  return count / ((performance.now() - begin) / 1000);
}

const verifyRawPerSec = await verifyAll(keys.publicKeyRaw);
const verifyCachedPerSec = await verifyAll(await importPublicKey(keys.publicKeyRaw));
console.log(
  `requests: ${count}, sign/s: ${signPerSec.toFixed(0)}, verify/s (raw key): ${verifyRawPerSec.toFixed(0)}, verify/s (imported CryptoKey): ${verifyCachedPerSec.toFixed(0)}`,
);
