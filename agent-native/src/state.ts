import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { StoredResponderKeys } from "@corvid/protocol";
import { z } from "zod";

/** Where state lives unless `--state-dir` says otherwise: the systemd StateDirectory for root, XDG state otherwise. */
export function defaultStateDir(): string {
  if (process.getuid?.() === 0) return "/var/lib/corvid-agent";
  const xdgState = process.env.XDG_STATE_HOME || join(os.homedir(), ".local/state");
  return join(xdgState, "corvid-agent");
}

export const Enrollment = z.object({
  version: z.literal(1),
  consoleUrl: z.string().url(),
  responderId: z.string(),
  organizationId: z.string(),
  caFingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  checkinIntervalSec: z.number().int().positive(),
  tags: z.array(z.string()),
  enrolledAt: z.string(),
});
export type Enrollment = z.infer<typeof Enrollment>;

/** The agent's state is unreadable or inconsistent; the message says which file and what to do. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}

/**
 * The state directory: `keys.json` (Ed25519 private key as JWK), `enrollment.json`, `ca.pem` (pinned console
 * CA), `deployment-token` (kept for re-enrollment), `tasks/` and `uploads/` journals. Every file is written
 * atomically (temp file + rename) with mode 0600 inside a 0700 directory.
 */
export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async ensure(): Promise<void> {
    for (const sub of ["", "tasks", "uploads"]) {
      await mkdir(this.path(sub), { recursive: true, mode: 0o700 });
    }
    await chmod(this.dir, 0o700);
  }

  async writeAtomic(relativePath: string, data: string | Uint8Array): Promise<void> {
    const target = this.path(relativePath);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, target);
  }

  async writeJson(relativePath: string, value: unknown): Promise<void> {
    await this.writeAtomic(relativePath, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Null when the file does not exist; a StateError when it exists but does not match the schema. */
  async readJson<T>(relativePath: string, schema: z.ZodType<T>): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path(relativePath), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new StateError(`${this.path(relativePath)} is not valid JSON`);
    }
    const parsed = schema.safeParse(document);
    if (!parsed.success) throw new StateError(`${this.path(relativePath)} is malformed: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  async readText(relativePath: string): Promise<string | null> {
    try {
      return await readFile(this.path(relativePath), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async remove(relativePath: string): Promise<void> {
    await rm(this.path(relativePath), { force: true, recursive: true });
  }

  async list(relativeDir: string): Promise<string[]> {
    try {
      return (await readdir(this.path(relativeDir))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  readKeys(): Promise<StoredResponderKeys | null> {
    return this.readJson("keys.json", StoredResponderKeys);
  }

  readEnrollment(): Promise<Enrollment | null> {
    return this.readJson("enrollment.json", Enrollment);
  }

  async readDeploymentToken(): Promise<string | null> {
    return (await this.readText("deployment-token"))?.trim() || null;
  }
}
