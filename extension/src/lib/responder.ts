import {
  CpuPacer,
  exportResponderKeys,
  generateResponderKeys,
  importResponderKeys,
  MIB,
  PROTOCOL_VERSION,
  publicKeyToBase64Url,
  ResourceLimitError,
  responderIdFromPublicKey,
  type ArtifactRequest,
  type AssetFacts,
  type CheckinResponse,
  type TaskAssignment,
  type TaskProgress,
} from "@corvid/protocol";
import type { ArtifactCatalog, BrowserApis } from "../collectors/catalog.ts";
import type { Row } from "../collectors/types.ts";
import type { EvidenceSink } from "./evidence-db.ts";
import { readSettings, type EnrollmentSettings, type PolicyApi } from "./policy.ts";
import type { Spool } from "./spool.ts";
import type { Enrollment, ResponderState, TaskJournal } from "./state.ts";
import { ConsoleClient, ConsoleHttpError, parseConsoleUrl, ReenrollRequiredError, type FetchLike } from "./transport.ts";
import { Uploader } from "./uploader.ts";

export const CHECKIN_ALARM = "corvid-checkin";
/** chrome.alarms does not fire more often than every 30 s. */
const MIN_ALARM_MINUTES = 0.5;

export interface AlarmsApi {
  alarms: { create(name: string, info: { delayInMinutes?: number; periodInMinutes?: number }): Promise<void> | void };
}

export interface ResponderOptions {
  api: BrowserApis & PolicyApi & AlarmsApi;
  state: ResponderState;
  spool: Spool;
  catalog: ArtifactCatalog;
  facts: (context: { responderId: string; tags: string[]; profileEmail?: string | undefined }) => Promise<AssetFacts>;
  /** The local evidence database every collected row is also written to. */
  evidence?: EvidenceSink;
  fetch?: FetchLike;
  chunkSize?: number;
}

export type TickOutcome =
  | { outcome: "unconfigured" }
  | { outcome: "invalid-policy"; problem: string }
  | { outcome: "checked-in"; responderId: string; nextCheckinSec: number; tasksRun: string[] }
  | { outcome: "error"; error: string };

/**
 * The passive responder, one tick per alarm: enroll if needed, check in, run delivered tasks, upload
 * their tables, report. Everything it must remember is in storage, so any tick can be the first after a
 * service-worker restart and simply continues the journaled tasks and uploads.
 */
export class Responder {
  readonly #options: ResponderOptions;
  #running: Promise<TickOutcome> | undefined;
  #next: Promise<TickOutcome> | undefined;

  constructor(options: ResponderOptions) {
    this.#options = options;
  }

  /**
   * Single-flight: alarms, policy changes and the options page may all ask at once. A request that comes while a
   * tick runs gets one more tick after it: the running one may have read storage before the change that prompted
   * the request (managed policy lands while the first tick runs), and an unconfigured responder has no alarm to
   * try again.
   */
  tick(): Promise<TickOutcome> {
    if (!this.#running) {
      this.#running = this.#tick().finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#next ??= this.#running.then(() => {
      this.#next = undefined;
      return this.tick();
    });
    return this.#next;
  }

  async #tick(): Promise<TickOutcome> {
    const { state } = this.#options;
    try {
      let enrollment = await state.enrollment();
      const settings = await readSettings(this.#options.api);
      if (!enrollment) {
        if (settings.source === "none") {
          await state.setStatus("unconfigured", "no managed policy and no manual settings yet");
          return { outcome: "unconfigured" };
        }
        if (settings.source === "invalid-policy") {
          await state.setStatus("invalid-policy", settings.problem);
          return { outcome: "invalid-policy", problem: settings.problem };
        }
        enrollment = await this.enroll(settings.settings, settings.source);
      }
      const profileEmail = settings.source === "managed" || settings.source === "manual" ? settings.settings.profileEmail : undefined;
      const allowCookieValues = settings.source === "managed" ? settings.settings.allowCookieValues === true : false;
      try {
        return await this.#checkinAndWork(enrollment, profileEmail, allowCookieValues);
      } catch (error) {
        if (!(error instanceof ReenrollRequiredError)) throw error;
        // Revoked or forgotten by the console: enroll again with the token this browser was configured with.
        await state.forgetEnrollment();
        if (settings.source !== "managed" && settings.source !== "manual") throw error;
        const renewed = await this.enroll(settings.settings, settings.source);
        return await this.#checkinAndWork(renewed, profileEmail, allowCookieValues);
      }
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await state.setStatus("error", message);
      await this.#schedule(60);
      return { outcome: "error", error: message };
    }
  }

  async enroll(settings: EnrollmentSettings, source: "managed" | "manual"): Promise<Enrollment> {
    const consoleUrl = parseConsoleUrl(settings.consoleUrl);
    const keys = await generateResponderKeys();
    const responderId = await responderIdFromPublicKey(keys.publicKeyRaw);
    const tags = settings.tags ?? [];
    // With a pin, the client makes the console prove it holds the pinned CA before the token is sent.
    const pin = settings.caFingerprint;
    const client = new ConsoleClient({ consoleUrl, attestation: pin ? { caFingerprint: pin } : undefined, ...this.#fetchOption() });
    const response = await client.enroll({
      protocolVersion: PROTOCOL_VERSION,
      deploymentToken: settings.deploymentToken,
      publicKey: publicKeyToBase64Url(keys.publicKeyRaw),
      kind: "browser",
      facts: await this.#options.facts({ responderId, tags, profileEmail: settings.profileEmail }),
    });
    if (response.responderId !== responderId) throw new Error(`console assigned responder id ${response.responderId}, but this key derives ${responderId}`);
    const enrollment: Enrollment = {
      version: 1,
      consoleUrl,
      responderId,
      organizationId: response.organizationId,
      checkinIntervalSec: response.checkinIntervalSec,
      // Only the policy's pin counts: the console's own caFingerprint answer is what a rogue console would claim too.
      ...(pin ? { caFingerprint: pin } : {}),
      ...(pin && client.consoleKey ? { attestation: { caFingerprint: pin, consoleKey: client.consoleKey } } : {}),
      tags,
      settingsSource: source,
      enrolledAt: new Date().toISOString(),
    };
    await this.#options.state.saveEnrollment(enrollment, await exportResponderKeys(keys));
    await this.#options.state.setStatus("enrolled", `enrolled as ${responderId} with ${consoleUrl}`);
    return enrollment;
  }

  #fetchOption(): { fetch?: FetchLike } {
    return this.#options.fetch ? { fetch: this.#options.fetch } : {};
  }

  async #client(enrollment: Enrollment): Promise<ConsoleClient> {
    const { state } = this.#options;
    const stored = await state.keys();
    if (!stored) throw new Error("enrollment without keys in storage");
    const keys = await importResponderKeys(stored);
    // The pin follows the current policy, so an admin can add or change it without re-enrolling the fleet.
    const settings = await readSettings(this.#options.api);
    const pin = settings.source === "managed" || settings.source === "manual" ? settings.settings.caFingerprint : enrollment.caFingerprint;
    const cached = pin && enrollment.attestation?.caFingerprint === pin ? enrollment.attestation.consoleKey : undefined;
    const attestation = pin
      ? { caFingerprint: pin, consoleKey: cached, onAttested: (consoleKey: string) => state.rememberAttestation(enrollment.responderId, { caFingerprint: pin, consoleKey }) }
      : undefined;
    return new ConsoleClient({ consoleUrl: enrollment.consoleUrl, identity: { responderId: enrollment.responderId, privateKey: keys.privateKey }, attestation, ...this.#fetchOption() });
  }

  async #checkinAndWork(enrollment: Enrollment, profileEmail: string | undefined, allowCookieValues: boolean): Promise<TickOutcome> {
    const { state, spool } = this.#options;
    const client = await this.#client(enrollment);
    const uploader = new Uploader(client, state, spool, this.#options.chunkSize);
    await uploader.removeOrphans();
    const journals = await state.tasks();
    const response = await client.checkin({
      protocolVersion: PROTOCOL_VERSION,
      facts: await this.#options.facts({ responderId: enrollment.responderId, tags: enrollment.tags, profileEmail }),
      activeTaskIds: Object.keys(journals),
    });
    await this.#accept(response, journals, uploader);
    await state.setStatus("enrolled", `checked in at ${new Date().toISOString()} as ${enrollment.responderId}`);
    await this.#schedule(response.nextCheckinSec);
    const tasksRun: string[] = [];
    for (const journal of Object.values(await state.tasks())) {
      await this.#execute(journal, client, uploader, allowCookieValues);
      tasksRun.push(journal.assignment.taskId);
    }
    return { outcome: "checked-in", responderId: enrollment.responderId, nextCheckinSec: response.nextCheckinSec, tasksRun };
  }

  async #accept(response: CheckinResponse, journals: Record<string, TaskJournal>, uploader: Uploader): Promise<void> {
    for (const taskId of response.cancelTaskIds) {
      await uploader.discard(taskId);
      await this.#options.state.removeTask(taskId);
    }
    for (const assignment of response.tasks) {
      if (journals[assignment.taskId]) continue;
      await this.#options.state.saveTask({ version: 1, assignment, artifactsDone: [], failures: [], rowCount: 0 });
    }
  }

  /** Periodic, so a service worker stopped mid-tick is woken again even if this tick never finishes. */
  async #schedule(seconds: number): Promise<void> {
    const minutes = Math.max(MIN_ALARM_MINUTES, seconds / 60);
    await this.#options.api.alarms.create(CHECKIN_ALARM, { delayInMinutes: minutes, periodInMinutes: minutes });
  }

  async #execute(journal: TaskJournal, client: ConsoleClient, uploader: Uploader, allowCookieValues: boolean): Promise<void> {
    const { assignment } = journal;
    const { state } = this.#options;
    if (!journal.final && Date.parse(assignment.expiresAt) < Date.now()) {
      journal.final = { state: "failed", progress: 0, error: `task expired at ${assignment.expiresAt} before it ran` };
      await state.saveTask(journal);
    }
    // Uploads journaled by an earlier, interrupted run of this task go first.
    await uploader.drain(assignment.taskId);
    if (!journal.final && !journal.startedAt) {
      journal.startedAt = new Date().toISOString();
      await state.saveTask(journal);
    }
    const deadline = Date.parse(journal.startedAt ?? new Date().toISOString()) + assignment.limits.timeoutSec * 1000;
    for (const request of journal.final ? [] : assignment.artifacts) {
      if (journal.artifactsDone.includes(request.name)) continue;
      if (Date.now() > deadline) {
        journal.final = finalProgress(journal, `timed out after ${assignment.limits.timeoutSec} s`);
        await state.saveTask(journal);
        break;
      }
      if (!(await this.#reportRunning(client, journal, `collecting ${request.name}`))) {
        await uploader.discard(assignment.taskId);
        await state.removeTask(assignment.taskId);
        return;
      }
      const timeout = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
      try {
        journal.rowCount += await this.#collect(assignment, request, uploader, allowCookieValues, timeout);
      } catch (error) {
        if (timeout.aborted) {
          // Checked between batches: a running chrome.* call cannot be interrupted, so a batch may overrun.
          journal.final = finalProgress(journal, `timed out after ${assignment.limits.timeoutSec} s while collecting ${request.name}, whose partial table was not uploaded`);
          await state.saveTask(journal);
          break;
        }
        journal.failures.push({ artifact: request.name, error: error instanceof Error ? error.message : String(error) });
      }
      journal.artifactsDone.push(request.name);
      await state.saveTask(journal);
      await uploader.drain(assignment.taskId);
    }
    if (!journal.final) {
      journal.final = finalProgress(journal);
      await state.saveTask(journal);
    }
    try {
      await client.reportProgress(assignment.taskId, journal.final);
    } catch (error) {
      if (!(error instanceof ConsoleHttpError) || error.status >= 500 || error instanceof ReenrollRequiredError) throw error;
      // 4xx: the console will never take this report (task cancelled or gone); drop it.
    }
    await state.removeTask(assignment.taskId);
  }

  /**
   * Collects one artifact within the task's limits and journals its table for upload; returns its row count.
   * Each batch is spooled as it comes, so the service worker holds one batch, not the table; between calls to Chrome
   * the collector's checkpoints let the shared CpuPacer pause (this worker cannot read its CPU time, so its busy
   * wall time counts) and `signal` (the task's deadline) stop the collection.
   */
  async #collect(assignment: TaskAssignment, request: ArtifactRequest, uploader: Uploader, allowCookieValues: boolean, signal: AbortSignal): Promise<number> {
    const { catalog, api, evidence } = this.#options;
    const { cpuPercent, memoryMb } = assignment.limits;
    const pacer = new CpuPacer(cpuPercent, () => performance.now(), signal);
    const encoder = new TextEncoder();
    const output = await uploader.start();
    let rowCount = 0;
    try {
      const pace = async () => {
        signal.throwIfAborted();
        await pacer.pace();
      };
      const store = async (rows: Row[]) => {
        signal.throwIfAborted();
        const lines = rows.map((row) => JSON.stringify(row));
        const bytes = encoder.encode(lines.map((line) => `${line}\n`).join(""));
        checkBatchSize(memoryMb, bytes.byteLength);
        await output.write(bytes);
        await evidence?.insertRows(assignment.taskId, request.name, lines);
        rowCount += rows.length;
      };
      const definition = await catalog.collect(request.name, request.parameters, api, { allowCookieValues }, store, pace);
      await output.enqueue({
        taskId: assignment.taskId,
        artifact: definition.name,
        name: `${definition.name}.jsonl`,
        kind: "table",
        contentType: "application/x-ndjson",
        columns: definition.columns,
        rowCount,
      });
    } catch (error) {
      await output.discard();
      throw error;
    }
    return rowCount;
  }

  /** False when the console says the task is no longer wanted (409). */
  async #reportRunning(client: ConsoleClient, journal: TaskJournal, message: string): Promise<boolean> {
    try {
      await client.reportProgress(journal.assignment.taskId, {
        state: "running",
        progress: journal.artifactsDone.length / journal.assignment.artifacts.length,
        message,
        artifactsDone: journal.artifactsDone,
      });
      return true;
    } catch (error) {
      if (error instanceof ConsoleHttpError && error.status === 409) return false;
      if (error instanceof ReenrollRequiredError) throw error;
      return true;
    }
  }
}

function finalProgress(journal: TaskJournal, abortedBecause?: string): TaskProgress {
  const total = journal.assignment.artifacts.length;
  const failed = journal.failures.map((failure) => `${failure.artifact}: ${failure.error}`);
  const message = `${journal.rowCount} rows from ${journal.artifactsDone.length - journal.failures.length}/${total} artifacts`;
  if (abortedBecause || journal.failures.length === total) {
    const error = [abortedBecause, ...failed].filter(Boolean).join("\n").slice(0, 4096);
    return { state: "failed", progress: journal.artifactsDone.length / total, message, error, artifactsDone: journal.artifactsDone };
  }
  return { state: "completed", progress: 1, message, ...(failed.length > 0 ? { error: failed.join("\n").slice(0, 4096) } : {}), artifactsDone: journal.artifactsDone };
}

/**
 * Tables stream to the spool, so a batch is what this worker holds; one larger than the task's memory limit
 * fails its artifact. Chrome does not expose performance.memory to extension service workers (Chromium 156), so
 * the worker's heap itself cannot be checked.
 */
function checkBatchSize(memoryMb: number, batchBytes: number): void {
  if (batchBytes > memoryMb * MIB) {
    throw new ResourceLimitError(`one batch of output is ${(batchBytes / MIB).toFixed(1)} MiB, over the task's memory limit of ${memoryMb} MiB`);
  }
}
