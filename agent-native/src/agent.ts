import { once } from "node:events";
import { createWriteStream } from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { PROTOCOL_VERSION, TaskAssignment, TaskProgress, type CheckinResponse, type ParameterValues } from "@corvid/protocol";
import { z } from "zod";
import type { ArtifactCatalog, LoadedArtifact } from "./artifacts/catalog.ts";
import { collectArtifact } from "./collect.ts";
import { clientFor, enroll, loadIdentity } from "./enroll.ts";
import { gatherFacts, ResourceMeter } from "./facts.ts";
import type { Logger } from "./log.ts";
import { Pacer } from "./pacer.ts";
import type { StateStore } from "./state.ts";
import { ConsoleHttpError, ReenrollRequiredError, type ConsoleClient } from "./transport.ts";
import { newUploadId, Uploader } from "./uploader.ts";

/** The journal of one delivered task: it survives restarts so collection resumes where it stopped. */
const TaskJournal = z.object({
  version: z.literal(1),
  assignment: TaskAssignment,
  artifactsDone: z.array(z.string()),
  failures: z.array(z.object({ artifact: z.string(), error: z.string() })),
  rowCount: z.number().int(),
  problemCount: z.number().int(),
  /** The first few unreadable items, so the analyst sees what went wrong without the agent's log. */
  problemSamples: z.array(z.string()).default([]),
  /** Set once the task finished; cleared from disk when the console has it. */
  final: TaskProgress.optional(),
});
type TaskJournal = z.infer<typeof TaskJournal>;

/** The agent cannot go on (e.g. revoked and no token to enroll again); `run` ends with this message. */
export class AgentExitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentExitError";
  }
}

export interface AgentOptions {
  state: StateStore;
  catalog: ArtifactCatalog;
  log: Logger;
  /** Lower bound between retries after errors; tests shorten it. */
  retryBaseMs?: number;
  /** Bytes per upload chunk (the console may answer with another size). */
  chunkSize?: number;
}

const LOW_PRIORITY_NICE = 10;
const MAX_RETRY_MS = 5 * 60_000;
const MAX_PROBLEM_SAMPLES = 3;

/**
 * The passive run loop: check in, queue delivered tasks, run them one at a time at low priority,
 * upload their results, report progress. Nothing is collected unless a task asks.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #log: Logger;
  readonly #meter = new ResourceMeter();
  readonly #queue: TaskJournal[] = [];
  readonly #cancellers = new Map<string, AbortController>();
  #current: TaskJournal | undefined;
  #wakeWorker: (() => void) | undefined;
  #client!: ConsoleClient;
  #uploader!: Uploader;
  #tags: string[] = [];

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#log = options.log;
  }

  /** Runs until `signal` aborts (SIGTERM); rejects with AgentExitError when it cannot continue. */
  async run(stopSignal: AbortSignal): Promise<void> {
    const { state } = this.#options;
    // Also stops the task worker when the check-in loop ends on its own (AgentExitError).
    const ended = new AbortController();
    const signal = AbortSignal.any([stopSignal, ended.signal]);
    await state.ensure();
    await this.#connect();
    lowerPriority(this.#log);
    const orphans = await this.#uploader.removeOrphans();
    if (orphans > 0) this.#log.info("removed spooled results of an interrupted collection", { files: orphans });
    for (const name of await state.list("tasks")) {
      const journal = await state.readJson(`tasks/${name}`, TaskJournal);
      if (journal) this.#queue.push(journal);
    }
    if (this.#queue.length > 0) this.#log.info("resuming tasks from the journal", { tasks: this.#queue.map((task) => task.assignment.taskId) });
    const worker = this.#workLoop(signal);
    try {
      await this.#checkinLoop(signal);
    } finally {
      ended.abort();
      await worker.catch((error: unknown) => this.#log.error("task worker stopped", { error: String(error) }));
      this.#client.close();
    }
  }

  async #connect(): Promise<void> {
    const identity = await loadIdentity(this.#options.state);
    this.#tags = identity.enrollment.tags;
    this.#client?.close();
    this.#client = clientFor(identity);
    this.#uploader = new Uploader(this.#client, this.#options.state, this.#log, this.#options.chunkSize);
    this.#log.info("agent started", { responder: identity.enrollment.responderId, console: identity.enrollment.consoleUrl, stateDir: this.#options.state.dir });
  }

  #activeTaskIds(): string[] {
    return [...(this.#current ? [this.#current] : []), ...this.#queue].map((task) => task.assignment.taskId);
  }

  async #checkinLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let waitSec: number;
      try {
        const idle = this.#current === undefined && this.#queue.length === 0;
        const response = await this.#client.checkin(
          { protocolVersion: PROTOCOL_VERSION, facts: gatherFacts(this.#meter, this.#tags), activeTaskIds: this.#activeTaskIds() },
          { wait: idle, signal },
        );
        failures = 0;
        await this.#accept(response);
        waitSec = response.nextCheckinSec;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof ReenrollRequiredError) {
          await this.#reenroll(error);
          continue;
        }
        failures++;
        const retryMs = Math.min((this.#options.retryBaseMs ?? 5_000) * 2 ** (failures - 1), MAX_RETRY_MS);
        this.#log.warn("check-in failed; retrying", { error: String(error), retryInSec: Math.round(retryMs / 1000) });
        waitSec = retryMs / 1000;
      }
      await sleep(waitSec * 1000, undefined, { signal }).catch(() => undefined);
    }
  }

  async #accept(response: CheckinResponse): Promise<void> {
    for (const taskId of response.cancelTaskIds) await this.#cancel(taskId);
    const known = new Set(this.#activeTaskIds());
    for (const assignment of response.tasks) {
      if (known.has(assignment.taskId)) continue;
      const journal: TaskJournal = { version: 1, assignment, artifactsDone: [], failures: [], rowCount: 0, problemCount: 0, problemSamples: [] };
      await this.#saveJournal(journal);
      this.#queue.push(journal);
      this.#log.info("task received", { task: assignment.taskId, case: assignment.caseId, artifacts: assignment.artifacts.map((artifact) => artifact.name) });
    }
    if (response.tasks.length > 0) this.#wakeWorker?.();
  }

  async #cancel(taskId: string): Promise<void> {
    const queued = this.#queue.findIndex((task) => task.assignment.taskId === taskId);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      await this.#discardTask(taskId);
    }
    const running = this.#cancellers.get(taskId);
    if (running) running.abort(new Error("cancelled by the console"));
    if (queued >= 0 || running) this.#log.info("task cancelled by the console", { task: taskId });
  }

  async #reenroll(cause: ReenrollRequiredError): Promise<void> {
    const { state } = this.#options;
    const token = await state.readDeploymentToken();
    const previous = await state.readEnrollment();
    this.#log.warn("console answered 410 reenroll: it no longer recognizes this responder", { reason: cause.message });
    if (!token || !previous) {
      throw new AgentExitError(
        "the console no longer recognizes this responder (unknown or revoked) and no deployment token is stored; " +
          "enroll again with: corvid-agent enroll --console URL --token TOKEN",
      );
    }
    try {
      await enroll(state, { consoleUrl: previous.consoleUrl, deploymentToken: token, caFingerprint: previous.caFingerprint, tags: previous.tags }, this.#log);
    } catch (error) {
      throw new AgentExitError(`re-enrollment with the stored deployment token failed: ${String(error)}; enroll again by hand`);
    }
    await this.#connect();
  }

  async #workLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const next = this.#queue.shift();
      if (!next) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            signal.removeEventListener("abort", wake);
            this.#wakeWorker = undefined;
            resolve();
          };
          this.#wakeWorker = wake;
          signal.addEventListener("abort", wake, { once: true });
        });
        continue;
      }
      this.#current = next;
      try {
        await this.#execute(next, signal);
      } catch (error) {
        if (signal.aborted) continue;
        if (error instanceof ReenrollRequiredError) {
          // The check-in loop enrolls again; the task (journaled) resumes under the new identity.
          this.#queue.unshift(next);
          await sleep(this.#options.retryBaseMs ?? 5_000, undefined, { signal }).catch(() => undefined);
        } else {
          this.#log.error("task stopped unexpectedly; it resumes at the next start", { task: next.assignment.taskId, error: String(error) });
        }
      } finally {
        this.#current = undefined;
      }
    }
  }

  async #execute(journal: TaskJournal, stopSignal: AbortSignal): Promise<void> {
    const { assignment } = journal;
    const taskId = assignment.taskId;
    if (!journal.final && Date.parse(assignment.expiresAt) < Date.now()) {
      journal.final = { state: "failed", progress: 0, error: `task expired at ${assignment.expiresAt} before it ran` };
    }
    if (!journal.final) {
      const canceller = new AbortController();
      this.#cancellers.set(taskId, canceller);
      try {
        await this.#collectTask(journal, stopSignal, canceller.signal);
      } finally {
        this.#cancellers.delete(taskId);
      }
      if (canceller.signal.aborted && !stopSignal.aborted) {
        await this.#discardTask(taskId);
        return;
      }
    }
    if (journal.final) await this.#sendFinal(journal, stopSignal);
  }

  async #collectTask(journal: TaskJournal, stopSignal: AbortSignal, cancelSignal: AbortSignal): Promise<void> {
    const { assignment } = journal;
    const timeout = AbortSignal.timeout(assignment.limits.timeoutSec * 1000);
    const signal = AbortSignal.any([stopSignal, cancelSignal, timeout]);
    const pacer = new Pacer(assignment.limits, signal);
    // A timeout ends the task with what it has; a stop keeps the journal for the next start; a cancel discards it.
    const stoppedEarly = async (): Promise<boolean> => {
      if (!signal.aborted) return false;
      if (timeout.aborted && !stopSignal.aborted && !cancelSignal.aborted) {
        journal.final = this.#finalProgress(journal, `timed out after ${assignment.limits.timeoutSec} s`);
        await this.#saveJournal(journal);
      }
      return true;
    };
    // Finish what an earlier run of this task had already collected before collecting more.
    await this.#drainUploads(assignment.taskId, signal);
    if (await stoppedEarly()) return;
    for (const request of assignment.artifacts) {
      if (journal.artifactsDone.includes(request.name)) continue;
      await this.#progress(journal, `collecting ${request.name}`, cancelSignal);
      const loaded = this.#options.catalog.get(request.name);
      try {
        if (!loaded) throw new Error(`this agent has no artifact named ${request.name}`);
        await this.#collectOne(journal, loaded, request.parameters ?? {}, signal, pacer);
      } catch (error) {
        if (await stoppedEarly()) return;
        journal.failures.push({ artifact: request.name, error: error instanceof Error ? error.message : String(error) });
        this.#log.warn("artifact failed", { task: assignment.taskId, artifact: request.name, error: String(error) });
      }
      journal.artifactsDone.push(request.name);
      await this.#saveJournal(journal);
      await this.#drainUploads(assignment.taskId, signal);
      if (await stoppedEarly()) return;
    }
    await this.#progress(journal, "all artifacts collected", cancelSignal);
    journal.final = this.#finalProgress(journal);
    await this.#saveJournal(journal);
  }

  async #collectOne(journal: TaskJournal, loaded: LoadedArtifact, parameters: ParameterValues, signal: AbortSignal, pacer: Pacer): Promise<void> {
    const { definition } = loaded;
    const taskId = journal.assignment.taskId;
    const spoolId = newUploadId();
    const output = createWriteStream(this.#uploader.spoolPath(spoolId), { mode: 0o600 });
    let summary;
    try {
      summary = await collectArtifact(loaded, parameters, {
        signal,
        pace: () => pacer.pace(),
        onRow: async (row) => {
          if (!output.write(`${JSON.stringify(row)}\n`)) await once(output, "drain");
        },
        onProblem: (problem) => this.#log.debug("collection problem", { artifact: definition.name, ...problem }),
      });
    } finally {
      output.end();
      await once(output, "close");
    }
    await this.#uploader.enqueueSpooled(spoolId, {
      taskId,
      artifact: definition.name,
      name: `${definition.name}.jsonl`,
      kind: "table",
      contentType: "application/x-ndjson",
      columns: definition.columns,
      rowCount: summary.rowCount,
    });
    for (const file of summary.files) {
      try {
        await this.#uploader.enqueueFileCopy(file.path, {
          taskId,
          artifact: definition.name,
          name: file.path.replace(/^\/+/, "").slice(-255),
          kind: "file",
          contentType: "application/octet-stream",
          sourcePath: file.path,
        });
      } catch (error) {
        summary.problems.push({ path: file.path, code: "copy-failed", message: String(error) });
      }
    }
    journal.rowCount += summary.rowCount;
    journal.problemCount += summary.problems.length;
    for (const problem of summary.problems.slice(0, Math.max(0, MAX_PROBLEM_SAMPLES - journal.problemSamples.length))) {
      journal.problemSamples.push(`${definition.name}: ${problem.message}`.slice(0, 200));
    }
    if (summary.problems.length > 0) {
      this.#log.warn("artifact collected with problems", { artifact: definition.name, problems: summary.problems.length, first: summary.problems[0]?.message });
    }
    this.#log.info("artifact collected", { task: taskId, artifact: definition.name, rows: summary.rowCount, files: summary.files.length });
  }

  #finalProgress(journal: TaskJournal, abortedBecause?: string): TaskProgress {
    const total = journal.assignment.artifacts.length;
    const failed = journal.failures.map((failure) => `${failure.artifact}: ${failure.error}`);
    const message = [
      `${journal.rowCount} rows from ${journal.artifactsDone.length - journal.failures.length}/${total} artifacts; ${journal.problemCount} items could not be read`,
      ...journal.problemSamples,
    ].join("\n");
    const everythingFailed = journal.failures.length === total;
    if (abortedBecause || everythingFailed) {
      return { state: "failed", progress: journal.artifactsDone.length / total, message: message.slice(0, 1024), error: [abortedBecause, ...failed].filter(Boolean).join("\n").slice(0, 4096), artifactsDone: journal.artifactsDone };
    }
    return {
      state: "completed",
      progress: 1,
      message: message.slice(0, 1024),
      ...(failed.length > 0 ? { error: failed.join("\n").slice(0, 4096) } : {}),
      artifactsDone: journal.artifactsDone,
    };
  }

  /** Running progress is best effort; a 409 means the console cancelled the task. */
  async #progress(journal: TaskJournal, message: string, cancelSignal: AbortSignal): Promise<void> {
    const { taskId, artifacts } = journal.assignment;
    try {
      await this.#client.reportProgress(taskId, { state: "running", progress: journal.artifactsDone.length / artifacts.length, message, artifactsDone: journal.artifactsDone });
    } catch (error) {
      if (error instanceof ConsoleHttpError && error.status === 409) {
        this.#cancellers.get(taskId)?.abort(new Error("cancelled by the console"));
        this.#log.info("console says the task is no longer running; stopping it", { task: taskId });
        return;
      }
      if (!cancelSignal.aborted) this.#log.warn("progress report failed", { task: taskId, error: String(error) });
    }
  }

  /** Uploads survive any failure: retried with backoff until they succeed or the agent stops. */
  async #drainUploads(taskId: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#uploader.drain({ taskId, signal });
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ReenrollRequiredError) throw error;
        const retryMs = Math.min((this.#options.retryBaseMs ?? 5_000) * 2 ** attempt, MAX_RETRY_MS);
        this.#log.warn("upload failed; will resume", { task: taskId, error: String(error), retryInSec: Math.round(retryMs / 1000) });
        await sleep(retryMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #sendFinal(journal: TaskJournal, signal: AbortSignal): Promise<void> {
    const { taskId } = journal.assignment;
    await this.#drainUploads(taskId, signal);
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.#client.reportProgress(taskId, journal.final!, signal);
        this.#log.info("task finished", { task: taskId, state: journal.final!.state, message: journal.final!.message ?? null });
        break;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ConsoleHttpError && !(error instanceof ReenrollRequiredError) && error.status < 500) {
          this.#log.warn("console refused the final task report; dropping it", { task: taskId, status: error.status, error: error.message });
          break;
        }
        const retryMs = Math.min((this.#options.retryBaseMs ?? 5_000) * 2 ** attempt, MAX_RETRY_MS);
        this.#log.warn("final task report failed; retrying", { task: taskId, error: String(error) });
        await sleep(retryMs, undefined, { signal }).catch(() => undefined);
      }
    }
    if (!signal.aborted) await this.#options.state.remove(`tasks/${taskId}.json`);
  }

  async #saveJournal(journal: TaskJournal): Promise<void> {
    await this.#options.state.writeJson(`tasks/${journal.assignment.taskId}.json`, journal);
  }

  async #discardTask(taskId: string): Promise<void> {
    for (const upload of await this.#uploader.pending(taskId)) {
      await this.#options.state.remove(`uploads/${upload.id}.json`);
      await this.#options.state.remove(`uploads/${upload.id}.data`);
    }
    await this.#options.state.remove(`tasks/${taskId}.json`);
  }
}

/** Acquisition must not compete with the host's own work: run the whole agent at nice 10. */
function lowerPriority(log: Logger): void {
  try {
    if (os.getPriority() < LOW_PRIORITY_NICE) os.setPriority(LOW_PRIORITY_NICE);
  } catch (error) {
    log.warn("could not lower the agent's priority", { error: String(error) });
  }
}
