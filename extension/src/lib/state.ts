import { StoredResponderKeys, TaskAssignment, TaskProgress, UploadBegin } from "@corvid/protocol";
import { z } from "zod";

// Everything the service worker must remember lives in chrome.storage.local, so a SW stopped mid-task
// (MV3 stops idle workers after ~30 s) resumes from here on its next wake-up.

export const Enrollment = z.object({
  version: z.literal(1),
  consoleUrl: z.string(),
  responderId: z.string(),
  organizationId: z.string(),
  checkinIntervalSec: z.number().int().positive(),
  /** The CA pin the responder enrolled with. */
  caFingerprint: z.string().optional(),
  /** The console key an attestation yielded and the pin it was checked against, cached so not every tick asks again. */
  attestation: z.object({ caFingerprint: z.string(), consoleKey: z.string() }).optional(),
  tags: z.array(z.string()),
  settingsSource: z.enum(["managed", "manual"]),
  enrolledAt: z.string(),
});
export type Enrollment = z.infer<typeof Enrollment>;

export const TaskJournal = z.object({
  version: z.literal(1),
  assignment: TaskAssignment,
  artifactsDone: z.array(z.string()),
  failures: z.array(z.object({ artifact: z.string(), error: z.string() })),
  rowCount: z.number().int(),
  /** When collection first started; the task's timeoutSec counts from here, across service-worker restarts. */
  startedAt: z.string().optional(),
  /** Set once collection finished; the entry is dropped when the console has the final report. */
  final: TaskProgress.optional(),
});
export type TaskJournal = z.infer<typeof TaskJournal>;

/** One upload: what to announce; its bytes are the spool item with the same id. */
export const UploadJournalEntry = z.object({
  version: z.literal(1),
  id: z.string(),
  begin: UploadBegin,
  createdAt: z.string(),
});
export type UploadJournalEntry = z.infer<typeof UploadJournalEntry>;

/** Last thing that happened, for the options page. */
export const ResponderStatus = z.object({
  at: z.string(),
  state: z.enum(["unconfigured", "waiting-for-policy", "invalid-policy", "enrolled", "error"]),
  message: z.string(),
});
export type ResponderStatus = z.infer<typeof ResponderStatus>;

const KEYS = {
  enrollment: "corvid.enrollment",
  keys: "corvid.keys",
  tasks: "corvid.tasks",
  uploads: "corvid.uploads",
  status: "corvid.status",
} as const;

export interface LocalStorageArea {
  get(keys?: null | string | string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, fallback: T): T {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
}

export class ResponderState {
  constructor(readonly area: LocalStorageArea) {}

  async #get(key: string): Promise<unknown> {
    return (await this.area.get(key))[key];
  }

  async enrollment(): Promise<Enrollment | undefined> {
    return parseOr(Enrollment.optional(), await this.#get(KEYS.enrollment), undefined);
  }

  async keys(): Promise<StoredResponderKeys | undefined> {
    return parseOr(StoredResponderKeys.optional(), await this.#get(KEYS.keys), undefined);
  }

  async saveEnrollment(enrollment: Enrollment, keys: StoredResponderKeys): Promise<void> {
    // One write, so a SW stopped in between never leaves keys without their enrollment.
    await this.area.set({ [KEYS.enrollment]: enrollment, [KEYS.keys]: keys });
  }

  /** Caches the console key attested for this responder's enrollment (ignored if it was replaced meanwhile). */
  async rememberAttestation(responderId: string, attestation: { caFingerprint: string; consoleKey: string }): Promise<void> {
    const enrollment = await this.enrollment();
    if (enrollment?.responderId === responderId) await this.area.set({ [KEYS.enrollment]: { ...enrollment, attestation } });
  }

  async forgetEnrollment(): Promise<void> {
    await this.area.remove([KEYS.enrollment, KEYS.keys]);
  }

  async tasks(): Promise<Record<string, TaskJournal>> {
    return parseOr(z.record(z.string(), TaskJournal), await this.#get(KEYS.tasks), {});
  }

  async saveTask(journal: TaskJournal): Promise<void> {
    const tasks = await this.tasks();
    tasks[journal.assignment.taskId] = journal;
    await this.area.set({ [KEYS.tasks]: tasks });
  }

  async removeTask(taskId: string): Promise<void> {
    const tasks = await this.tasks();
    delete tasks[taskId];
    await this.area.set({ [KEYS.tasks]: tasks });
  }

  async uploads(): Promise<UploadJournalEntry[]> {
    const entries = parseOr(z.record(z.string(), UploadJournalEntry), await this.#get(KEYS.uploads), {});
    return Object.values(entries).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async saveUpload(entry: UploadJournalEntry): Promise<void> {
    const entries = Object.fromEntries((await this.uploads()).map((upload) => [upload.id, upload]));
    entries[entry.id] = entry;
    await this.area.set({ [KEYS.uploads]: entries });
  }

  async removeUpload(id: string): Promise<void> {
    const entries = Object.fromEntries((await this.uploads()).filter((upload) => upload.id !== id).map((upload) => [upload.id, upload]));
    await this.area.set({ [KEYS.uploads]: entries });
  }

  async status(): Promise<ResponderStatus | undefined> {
    return parseOr(ResponderStatus.optional(), await this.#get(KEYS.status), undefined);
  }

  async setStatus(state: ResponderStatus["state"], message: string): Promise<void> {
    await this.area.set({ [KEYS.status]: { at: new Date().toISOString(), state, message } });
  }
}
