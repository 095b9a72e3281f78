// corvid-parse: records to stdout (JSON lines, a JSON array, or XML where the format has it), a summary
// (records ok, errors) and every error to stderr. Exit code 0 when the file parsed without errors,
// 1 when some records or structures failed, 2 on usage errors or unreadable files.
import { createReadStream } from "node:fs";
import { ParseError } from "./errors.ts";
import { parseEvtx } from "./evtx.ts";
import { parsePrefetch } from "./prefetch.ts";
import { parseLnk } from "./lnk.ts";
import { walkRegistry } from "./regf.ts";

export type OutputFormat = "jsonl" | "json" | "xml";

/** One output record already rendered for the chosen format, or a failure. */
export type CliItem = { ok: true; text: string } | { ok: false; error: Error };

export interface CliParser {
  /** Output formats beyond "jsonl" and "json". */
  extraFormats: readonly OutputFormat[];
  parse(path: string, format: OutputFormat): AsyncIterable<CliItem>;
}

/** One entry per format: adding a format to the CLI means adding an entry here. */
export const PARSERS: Record<string, CliParser> = {
  evtx: {
    extraFormats: ["xml"],
    async *parse(path, format) {
      // JSON text comes straight from the wasm renderer; no parse/stringify round trip.
      for await (const item of parseEvtx(createReadStream(path, { highWaterMark: 1 << 20 }), { format: format === "xml" ? "xml" : "json" })) {
        yield item.ok ? { ok: true, text: format === "xml" ? item.record.trimEnd() : item.record } : { ok: false, error: item.error };
      }
    },
  },
  lnk: {
    extraFormats: [],
    async *parse(path) {
      // One record per file; a file that is not a link, or damage after the string data, is an error item.
      const parsed = await parseLnk(createReadStream(path), { partial: true }).catch((error: unknown) => {
        if (error instanceof ParseError) return error;
        throw error;
      });
      if (parsed instanceof ParseError) {
        yield { ok: false, error: parsed };
        return;
      }
      const { warnings, ...info } = parsed;
      yield { ok: true, text: JSON.stringify(info) };
      for (const warning of warnings) yield { ok: false, error: warning };
    },
  },
  regf: {
    extraFormats: [],
    async *parse(path) {
      for await (const record of walkRegistry(createReadStream(path, { highWaterMark: 1 << 22 }))) {
        if (record.kind === "key") yield { ok: true, text: JSON.stringify(record) };
        else yield { ok: false, error: record.error };
      }
    },
  },
  prefetch: {
    extraFormats: [],
    async *parse(path) {
      // One record per file: a Prefetch file parses whole or fails with one typed error.
      let text: string;
      try {
        text = JSON.stringify(await parsePrefetch(createReadStream(path)));
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        yield { ok: false, error };
        return;
      }
      yield { ok: true, text };
    },
  },
};

const USAGE = `usage: corvid-parse <${Object.keys(PARSERS).join("|")}> FILE [--format jsonl|json|xml]`;

/** Buffered stdout writer that respects back-pressure and stops quietly when the reader goes away (| head). */
class Output {
  private pending: string[] = [];
  private size = 0;
  closed = false;

  constructor() {
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      this.closed = true;
    });
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.closed || this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    this.size = 0;
    if (process.stdout.write(text)) return;
    await new Promise<void>((done) => {
      const finish = () => {
        process.stdout.off("drain", finish);
        process.stdout.off("error", finish);
        done();
      };
      process.stdout.on("drain", finish);
      process.stdout.on("error", finish);
    });
  }
}

function describe(error: Error): string {
  return error instanceof ParseError ? `error: ${error.message}` : `error: ${String(error)}`;
}

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  let format: OutputFormat = "jsonl";
  const flag = args.indexOf("--format");
  if (flag >= 0) {
    format = args[flag + 1] as OutputFormat;
    args.splice(flag, 2);
  }
  const [kind, path] = args;
  const parser = kind ? PARSERS[kind] : undefined;
  if (!parser || !path || args.length !== 2) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!["jsonl", "json", ...parser.extraFormats].includes(format)) {
    process.stderr.write(`corvid-parse: ${kind} supports --format ${["jsonl", "json", ...parser.extraFormats].join("|")}\n`);
    return 2;
  }
  const output = new Output();
  let ok = 0;
  let errors = 0;
  if (format === "json") await output.write("[");
  try {
    for await (const item of parser.parse(path, format)) {
      if (!item.ok) {
        errors++;
        process.stderr.write(`${describe(item.error)}\n`);
        continue;
      }
      if (output.closed) break;
      if (format === "json") await output.write(ok === 0 ? `\n${item.text}` : `,\n${item.text}`);
      else await output.write(`${item.text}\n`);
      ok++;
    }
  } catch (error) {
    process.stderr.write(`corvid-parse: ${path}: ${String(error)}\n`);
    return 2;
  }
  if (format === "json") await output.write("\n]\n");
  await output.flush();
  process.stderr.write(`${kind}: ${ok} records ok, ${errors} errors\n`);
  return errors > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
