import { readFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { ParameterValues } from "@corvid/protocol";
import { Agent, AgentExitError } from "./agent.ts";
import { collectArtifact } from "./collect.ts";
import { loadDefaultCatalog } from "./default-catalog.ts";
import { enroll } from "./enroll.ts";
import { AGENT_VERSION } from "./facts.ts";
import { createLogger, type LogLevel } from "./log.ts";
import { defaultStateDir, StateStore } from "./state.ts";

const USAGE = `corvid-agent ${AGENT_VERSION}: the Corvid native Linux responder

Usage:
  corvid-agent enroll --console URL --token TOKEN [--ca-fingerprint HEX] [--ca-file PEM] [--tag TAG]... [--state-dir DIR] [--no-keep-token]
  corvid-agent run [--state-dir DIR] [--artifacts DIR] [--log-level debug|info|warn|error]
  corvid-agent status [--state-dir DIR]
  corvid-agent artifacts [--artifacts DIR]
  corvid-agent collect ARTIFACT [--param NAME=VALUE]... [--artifacts DIR]

State directory default: /var/lib/corvid-agent as root, else $XDG_STATE_HOME/corvid-agent (~/.local/state/corvid-agent).
Plain http:// is accepted only for loopback consoles; https:// consoles are pinned to --ca-fingerprint (SHA-256 of the CA certificate);
--ca-file gives the CA certificate itself when the console does not send it in its TLS chain.
`;

/** Exit codes: 0 done, 1 failure, 2 bad usage, 3 enrollment needed. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "enroll":
      return enrollCommand(rest);
    case "run":
      return runCommand(rest);
    case "status":
      return statusCommand(rest);
    case "artifacts":
      return artifactsCommand(rest);
    case "collect":
      return collectCommand(rest);
    case "--version":
    case "version":
      process.stdout.write(`${AGENT_VERSION}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

class UsageError extends Error {}

function options<const T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], spec: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: spec, allowPositionals, strict: true as const });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function enrollCommand(args: string[]): Promise<number> {
  const { values } = options(args, {
    console: { type: "string" },
    token: { type: "string" },
    "ca-fingerprint": { type: "string" },
    "ca-file": { type: "string" },
    "state-dir": { type: "string" },
    tag: { type: "string", multiple: true },
    "no-keep-token": { type: "boolean" },
  });
  if (!values.console || !values.token) throw new UsageError("enroll needs --console URL and --token TOKEN");
  const state = new StateStore(values["state-dir"] ?? defaultStateDir());
  const log = createLogger();
  const enrollment = await enroll(
    state,
    {
      consoleUrl: values.console,
      deploymentToken: values.token,
      ...(values["ca-fingerprint"] ? { caFingerprint: values["ca-fingerprint"] } : {}),
      ...(values["ca-file"] ? { caPem: await readFile(values["ca-file"], "utf8") } : {}),
      tags: values.tag ?? [],
      keepToken: !values["no-keep-token"],
    },
    log,
  );
  process.stdout.write(`enrolled as ${enrollment.responderId}; state in ${state.dir}\nstart the agent with: corvid-agent run${values["state-dir"] ? ` --state-dir ${values["state-dir"]}` : ""}\n`);
  return 0;
}

async function runCommand(args: string[]): Promise<number> {
  const { values } = options(args, { "state-dir": { type: "string" }, artifacts: { type: "string" }, "log-level": { type: "string" } });
  const level = (values["log-level"] ?? process.env.CORVID_LOG_LEVEL ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(level)) throw new UsageError(`unknown log level ${level}`);
  const log = createLogger(level);
  const agent = new Agent({ state: new StateStore(values["state-dir"] ?? defaultStateDir()), catalog: await loadDefaultCatalog(values.artifacts), log });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      log.warn("second signal; exiting now", { signal });
      process.exit(1);
    }
    log.info("stopping", { signal });
    stop.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    await agent.run(stop.signal);
    log.info("stopped");
    return 0;
  } catch (error) {
    if (error instanceof AgentExitError) {
      log.error(error.message);
      return 3;
    }
    throw error;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

async function statusCommand(args: string[]): Promise<number> {
  const { values } = options(args, { "state-dir": { type: "string" } });
  const state = new StateStore(values["state-dir"] ?? defaultStateDir());
  const enrollment = await state.readEnrollment();
  if (!enrollment) {
    process.stdout.write(`not enrolled (state directory ${state.dir})\n`);
    return 3;
  }
  const tasks = (await state.list("tasks")).filter((name) => name.endsWith(".json"));
  const uploads = (await state.list("uploads")).filter((name) => name.endsWith(".json"));
  process.stdout.write(
    `${JSON.stringify({ ...enrollment, stateDir: state.dir, pendingTasks: tasks.length, pendingUploads: uploads.length, deploymentTokenKept: (await state.readDeploymentToken()) !== null }, null, 2)}\n`,
  );
  return 0;
}

async function artifactsCommand(args: string[]): Promise<number> {
  const { values } = options(args, { artifacts: { type: "string" } });
  for (const { definition } of (await loadDefaultCatalog(values.artifacts)).values()) {
    process.stdout.write(`${definition.name}\t${definition.source.kind}\t${definition.description.split("\n")[0]}\n`);
  }
  return 0;
}

/** Runs one artifact locally and prints JSONL: for checking a host or a definition without a console. */
async function collectCommand(args: string[]): Promise<number> {
  const { values, positionals } = options(args, { artifacts: { type: "string" }, param: { type: "string", multiple: true } }, true);
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError("collect needs exactly one artifact name");
  const artifact = (await loadDefaultCatalog(values.artifacts)).get(name);
  if (!artifact) throw new UsageError(`no artifact named ${name}`);
  const parameters: ParameterValues = {};
  for (const pair of values.param ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`--param expects NAME=VALUE, got ${pair}`);
    const raw = pair.slice(equals + 1);
    const type = artifact.definition.parameters?.find((parameter) => parameter.name === pair.slice(0, equals))?.type;
    parameters[pair.slice(0, equals)] =
      type === "int" || type === "float" ? Number(raw) : type === "bool" ? raw === "true" : type === "string_list" ? raw.split(",") : raw;
  }
  const log = createLogger("warn");
  const summary = await collectArtifact(artifact, parameters, {
    signal: new AbortController().signal,
    pace: () => new Promise((resolve) => setImmediate(resolve)),
    onRow: (row) => {
      process.stdout.write(`${JSON.stringify(row)}\n`);
    },
    onProblem: (problem) => log.warn("problem", { ...problem }),
  });
  log.warn("done", { rows: summary.rowCount, problems: summary.problems.length, files: summary.files.map((file) => file.path) });
  return 0;
}

/** Entry used by bin/corvid-agent.mjs and the single executable. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`corvid-agent: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exitCode = 1;
  }
}
