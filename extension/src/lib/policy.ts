import { normalizeCaFingerprint } from "@corvid/protocol";
import { z } from "zod";

/** What an admin sets in managed storage, or a user enters on the options page of an unmanaged Chrome. */
export const EnrollmentSettings = z.object({
  consoleUrl: z.string().min(1).max(2048),
  deploymentToken: z.string().min(1).max(256),
  /** SHA-256 of the console CA certificate: the console must prove it holds that CA (ADR 006). */
  caFingerprint: z
    .string()
    .max(200)
    .transform((value, context) => {
      try {
        return normalizeCaFingerprint(value);
      } catch {
        context.addIssue({ code: "custom", message: "expected the console CA's SHA-256 fingerprint (64 hex digits, colons allowed)" });
        return z.NEVER;
      }
    })
    .optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
  allowCookieValues: z.boolean().optional(),
  profileEmail: z.string().max(320).optional(),
});
export type EnrollmentSettings = z.infer<typeof EnrollmentSettings>;

/** Message the options page sends after saving manual settings: enroll and check in now. */
export const ENROLL_NOW_MESSAGE = "corvid:enroll-now";

/** storage.local key of the settings entered by hand on the options page. */
export const MANUAL_SETTINGS_KEY = "corvid.manualSettings";

export type SettingsSource =
  | { source: "managed"; settings: EnrollmentSettings }
  | { source: "manual"; settings: EnrollmentSettings }
  /** Managed storage holds something, but not a usable policy: the admin must fix it; `problem` says what. */
  | { source: "invalid-policy"; problem: string }
  | { source: "none" };

interface StorageArea {
  get(keys?: null | string | string[]): Promise<Record<string, unknown>>;
}

export interface PolicyApi {
  storage: { managed: StorageArea; local: StorageArea };
}

/**
 * Managed policy wins over settings entered by hand: an admin-deployed responder must not be
 * redirected to another console by the user. An empty managed store is not "unmanaged" for good:
 * policy for a just force-installed extension arrives seconds after the first start (see waitForPolicy).
 */
export async function readSettings(api: PolicyApi): Promise<SettingsSource> {
  const managed = await readManaged(api);
  if (managed.source !== "none") return managed;
  const manual = EnrollmentSettings.safeParse((await api.storage.local.get(MANUAL_SETTINGS_KEY))[MANUAL_SETTINGS_KEY]);
  return manual.success ? { source: "manual", settings: manual.data } : { source: "none" };
}

async function readManaged(api: PolicyApi): Promise<SettingsSource> {
  let stored: Record<string, unknown>;
  try {
    stored = await api.storage.managed.get(null);
  } catch {
    // Browsers without managed storage (or without a schema) reject: that is simply "no policy".
    return { source: "none" };
  }
  if (Object.keys(stored).length === 0) return { source: "none" };
  const parsed = EnrollmentSettings.safeParse(stored);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { source: "invalid-policy", problem: `${issue?.path.join(".") || "policy"}: ${issue?.message ?? "invalid"}` };
  }
  return { source: "managed", settings: parsed.data };
}

export interface StorageChangeApi {
  storage: {
    onChanged: {
      addListener(listener: (changes: Record<string, unknown>, areaName: string) => void): void;
      removeListener(listener: (changes: Record<string, unknown>, areaName: string) => void): void;
    };
  };
}

/**
 * Resolves with the managed policy once it is usable, or with the last reading after `timeoutMs`.
 * Listens to storage.onChanged("managed") so a policy that lands after start-up is picked up at once.
 */
export function waitForPolicy(api: PolicyApi & StorageChangeApi, timeoutMs: number): Promise<SettingsSource> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SettingsSource) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      api.storage.onChanged.removeListener(onChange);
      resolve(result);
    };
    const check = async (final: boolean) => {
      const result = await readManaged(api);
      if (result.source === "managed" || final) finish(result);
    };
    const onChange = (_changes: Record<string, unknown>, areaName: string) => {
      if (areaName === "managed") void check(false);
    };
    const timer = setTimeout(() => void check(true), timeoutMs);
    api.storage.onChanged.addListener(onChange);
    void check(false);
  });
}
