import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function temporaryDirectory(prefix: string): { path: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A child process whose output is kept so a test can wait for a line and show it when something fails. */
export class RunningProcess {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      for (const listener of this.listeners) listener();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  get text(): string {
    return this.output.join("");
  }

  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.text.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms. Output:\n${this.text.slice(-4000)}`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${this.name} exited (${code}) before printing ${pattern}. Output:\n${this.text.slice(-4000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        this.child.off("exit", onExit);
      };
      this.listeners.add(check);
      this.child.once("exit", onExit);
      check();
    });
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export function startProcess(name: string, command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunningProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  return new RunningProcess(name, child);
}

export interface StartedConsole {
  process: RunningProcess;
  url: string;
  loginLink: string;
}

/** Runs the built console (`console/server.js`) on a free port with a fresh SQLite data directory. */
export async function startConsole(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<StartedConsole> {
  const running = startProcess("console", process.execPath, ["server.js"], {
    cwd: path.join(repoRoot, "console"),
    env: { HOST: "127.0.0.1", PORT: "0", CORVID_DATA_DIR: dataDir, DATABASE_URL: "", ...env },
  });
  const [, url] = await running.waitFor(/console listening on (https?:\/\/[^\s]+)/);
  const [, loginLink] = await running.waitFor(/login link: (\S+)/);
  return { process: running, url: url!, loginLink: loginLink! };
}

/** Runs the agent CLI from source, as `corvid-agent` does from a checkout. */
export function runAgent(args: string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  return startProcess("agent", process.execPath, [path.join(repoRoot, "agent-native", "bin", "corvid-agent.mjs"), ...args], {
    cwd: repoRoot,
    env,
  });
}

export function sha256OfFile(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
