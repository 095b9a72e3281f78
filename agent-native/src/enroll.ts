import {
  caFingerprintFromPem,
  exportResponderKeys,
  generateResponderKeys,
  importResponderKeys,
  normalizeCaFingerprint,
  PROTOCOL_VERSION,
  publicKeyToBase64Url,
  responderIdFromPublicKey,
  type ResponderKeys,
} from "@corvid/protocol";
import { gatherFacts, ResourceMeter } from "./facts.ts";
import type { Logger } from "./log.ts";
import { StateError, type Enrollment, type StateStore } from "./state.ts";
import { CaPinError, ConsoleClient, fetchPinnedCaPem, parseConsoleUrl } from "./transport.ts";

export interface EnrollOptions {
  consoleUrl: string;
  deploymentToken: string;
  caFingerprint?: string;
  /** PEM of the console CA, for consoles that send only their own certificate; checked against caFingerprint. */
  caPem?: string;
  tags?: string[];
  /** Keep the deployment token in the state directory so the agent can re-enroll on its own after a 410. */
  keepToken?: boolean;
  signal?: AbortSignal;
}

/**
 * Enrolls this host: new Ed25519 keys, the CA pinned before any secret is sent (when a fingerprint is
 * given), then keys, enrollment and pinned CA written to the state directory.
 */
export async function enroll(state: StateStore, options: EnrollOptions, log: Logger): Promise<Enrollment> {
  await state.ensure();
  const origin = parseConsoleUrl(options.consoleUrl);
  let fingerprint = options.caFingerprint === undefined ? undefined : normalizeCaFingerprint(options.caFingerprint);
  if ((fingerprint !== undefined || options.caPem !== undefined) && origin.protocol !== "https:") {
    throw new CaPinError("a CA fingerprint or CA file needs an https:// console URL");
  }
  let caPem: string | undefined;
  if (options.caPem !== undefined) {
    const fileFingerprint = await caFingerprintFromPem(options.caPem);
    if (fingerprint !== undefined && fileFingerprint !== fingerprint) {
      throw new CaPinError(`the CA file has fingerprint ${fileFingerprint}, not the pinned ${fingerprint}`);
    }
    fingerprint = fileFingerprint;
    caPem = options.caPem;
  } else if (fingerprint !== undefined) {
    caPem = await fetchPinnedCaPem(origin, fingerprint);
  }

  const keys = await generateResponderKeys();
  const responderId = await responderIdFromPublicKey(keys.publicKeyRaw);
  const client = new ConsoleClient({ consoleUrl: origin.href, ...(caPem ? { caPem, caFingerprint: fingerprint } : {}) });
  const tags = options.tags ?? [];
  try {
    const response = await client.enroll(
      {
        protocolVersion: PROTOCOL_VERSION,
        deploymentToken: options.deploymentToken,
        publicKey: publicKeyToBase64Url(keys.publicKeyRaw),
        kind: "native",
        facts: gatherFacts(new ResourceMeter(), tags),
      },
      options.signal,
    );
    if (response.responderId !== responderId) {
      throw new StateError(`console assigned responder id ${response.responderId}, but this key derives ${responderId}`);
    }
    if (response.caFingerprint !== undefined && origin.protocol === "https:") {
      if (fingerprint !== undefined && response.caFingerprint !== fingerprint) {
        throw new CaPinError(`console reports CA ${response.caFingerprint}, but enrollment pinned ${fingerprint}`);
      }
      if (fingerprint === undefined) {
        // The console was trusted through the system store; from now on pin the CA it names.
        fingerprint = response.caFingerprint;
        caPem = await fetchPinnedCaPem(origin, fingerprint);
      }
    }
    const enrollment: Enrollment = {
      version: 1,
      consoleUrl: origin.href,
      responderId,
      organizationId: response.organizationId,
      ...(fingerprint !== undefined ? { caFingerprint: fingerprint } : {}),
      checkinIntervalSec: response.checkinIntervalSec,
      tags,
      enrolledAt: new Date().toISOString(),
    };
    await state.writeJson("keys.json", await exportResponderKeys(keys));
    if (caPem) await state.writeAtomic("ca.pem", caPem);
    else await state.remove("ca.pem");
    if (options.keepToken ?? true) await state.writeAtomic("deployment-token", `${options.deploymentToken}\n`);
    await state.writeJson("enrollment.json", enrollment);
    log.info("enrolled", { responder: responderId, organization: response.organizationId, console: origin.href, pinnedCa: fingerprint ?? null });
    return enrollment;
  } finally {
    client.close();
  }
}

export interface Identity {
  enrollment: Enrollment;
  keys: ResponderKeys;
  caPem: string | undefined;
}

export async function loadIdentity(state: StateStore): Promise<Identity> {
  const enrollment = await state.readEnrollment();
  const storedKeys = await state.readKeys();
  if (!enrollment || !storedKeys) {
    throw new StateError(`this agent is not enrolled (no enrollment in ${state.dir}); run: corvid-agent enroll --console URL --token TOKEN`);
  }
  const keys = await importResponderKeys(storedKeys);
  if ((await responderIdFromPublicKey(keys.publicKeyRaw)) !== enrollment.responderId) {
    throw new StateError(`${state.path("keys.json")} does not belong to responder ${enrollment.responderId}; enroll again`);
  }
  const caPem = (await state.readText("ca.pem")) ?? undefined;
  if (enrollment.caFingerprint !== undefined && caPem === undefined) throw new StateError(`${state.path("ca.pem")} is missing; enroll again`);
  return { enrollment, keys, caPem };
}

export function clientFor(identity: Identity): ConsoleClient {
  return new ConsoleClient({
    consoleUrl: identity.enrollment.consoleUrl,
    ...(identity.caPem !== undefined ? { caPem: identity.caPem, caFingerprint: identity.enrollment.caFingerprint } : {}),
    identity: { responderId: identity.enrollment.responderId, keys: identity.keys },
  });
}
