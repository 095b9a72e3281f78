import type { z } from "zod";
import { linuxAuthorizedKeys } from "./linux.authorized-keys.ts";
import { linuxConnections } from "./linux.connections.ts";
import { linuxCron } from "./linux.cron.ts";
import { linuxProcesses } from "./linux.processes.ts";
import { linuxShellHistory } from "./linux.shell-history.ts";
import { linuxSysInfo } from "./linux.sysinfo.ts";
import { linuxSystemdUnits } from "./linux.systemd-units.ts";
import { linuxUsers } from "./linux.users.ts";
import { linuxWtmp } from "./linux.wtmp.ts";
import type { Row, SourceContext, SourceKind } from "./source.ts";

/** A source kind with its argument type hidden behind validation, so kinds of different types share one table. */
export interface RegisteredSource {
  kind: string;
  description: string;
  /** Zod issues summarised as strings; empty when the arguments are valid. */
  checkArgs(args: unknown): string[];
  collect(args: unknown, context: SourceContext): AsyncIterable<Row>;
}

function register<Args>(source: SourceKind<Args>): RegisteredSource {
  const parse = (args: unknown): z.ZodSafeParseResult<Args> => source.args.safeParse(args ?? {});
  return {
    kind: source.kind,
    description: source.description,
    checkArgs: (args) => {
      const parsed = parse(args);
      return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".") || "(parameters)"}: ${issue.message}`);
    },
    collect: (args, context) => {
      const parsed = parse(args);
      if (!parsed.success) throw new SourceArgumentsError(source.kind, parsed.error.issues.map((issue) => issue.message));
      return source.collect(parsed.data, context);
    },
  };
}

export class SourceArgumentsError extends Error {
  constructor(kind: string, issues: string[]) {
    super(`invalid parameters for source kind ${kind}: ${issues.join("; ")}`);
    this.name = "SourceArgumentsError";
  }
}

/** Every source kind this agent implements; artifact definitions naming any other kind fail validation. */
export const sourceRegistry: ReadonlyMap<string, RegisteredSource> = new Map(
  [
    register(linuxSysInfo),
    register(linuxUsers),
    register(linuxProcesses),
    register(linuxConnections),
    register(linuxCron),
    register(linuxSystemdUnits),
    register(linuxShellHistory),
    register(linuxAuthorizedKeys),
    register(linuxWtmp),
  ].map((source) => [source.kind, source] as const),
);
