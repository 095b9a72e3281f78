// Offline SQL generation with Prisma's WebAssembly schema engine (a dev/test tool only).
// The native schema engine would be downloaded from Prisma's CDN, so the Wasm build is loaded by
// hand and driven with a stub driver adapter: a schema-to-schema diff needs no database.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";

export type Provider = "sqlite" | "postgresql";
export const PROVIDERS: readonly Provider[] = ["sqlite", "postgresql"];

let wasmLoaded = false;

function loadWasm(): void {
  if (wasmLoaded) return;
  const bindingsPath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmModule = new WebAssembly.Module(readFileSync(path.join(path.dirname(bindingsPath), "schema_engine_bg.wasm")));
  const instance = new WebAssembly.Instance(wasmModule, { "./schema_engine_bg.js": engineBindings as never });
  engineBindings.__wbg_set_wasm(instance.exports);
  (instance.exports as unknown as { __wbindgen_start(): void }).__wbindgen_start();
  wasmLoaded = true;
}

/** An adapter that answers only the PostgreSQL engine's start-up probe and refuses everything else. */
function offlineAdapterFactory(provider: Provider) {
  const adapterProvider = provider === "postgresql" ? "postgres" : "sqlite";
  const refuse = async (): Promise<never> => {
    throw new Error("offline schema engine: this operation would need a database");
  };
  const adapter = {
    provider: adapterProvider,
    adapterName: "corvid-offline-stub",
    async queryRaw(query: { sql: string }) {
      if (adapterProvider === "postgres" && query.sql.includes("server_version_num")) {
        return {
          columnNames: ["exists", "version", "numeric_version"],
          columnTypes: [5, 7, 0],
          rows: [[true, "PostgreSQL 15 (offline stub)", 150000]],
        };
      }
      return refuse();
    },
    executeRaw: refuse,
    executeScript: refuse,
    startTransaction: refuse,
    getConnectionInfo: () => ({
      schemaName: adapterProvider === "postgres" ? "public" : undefined,
      supportsRelationJoins: false,
    }),
    dispose: async () => {},
  };
  return {
    provider: adapterProvider,
    adapterName: "corvid-offline-stub",
    connect: async () => adapter,
    connectToShadowDb: async () => adapter,
  };
}

/** Rewrites a canonical (sqlite) schema text for the given provider. */
export function schemaForProvider(schemaText: string, provider: Provider): string {
  if (provider === "sqlite") return schemaText;
  const swapped = schemaText.replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"');
  if (swapped === schemaText) throw new Error('schema-engine: no `provider = "sqlite"` line to swap');
  return swapped;
}

/**
 * SQL that turns a database shaped like `fromSchema` (null: empty) into one shaped like `toSchema`.
 * Both are canonical (sqlite) schema texts. Returns "" when there is nothing to do.
 */
export async function diffSql(provider: Provider, fromSchema: string | null, toSchema: string): Promise<string> {
  loadWasm();
  const toText = schemaForProvider(toSchema, provider);
  const engine = await engineBindings.SchemaEngine.new(
    { datamodels: [["schema.prisma", toText]] } as never,
    () => {},
    bindMigrationAwareSqlAdapterFactory(offlineAdapterFactory(provider) as never),
  );
  try {
    const output = await engine.diff({
      from:
        fromSchema === null
          ? { tag: "empty" }
          : { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schemaForProvider(fromSchema, provider) }] },
      to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: toText }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    } as never);
    const sql = String((output as { stdout?: string }).stdout ?? "").trim();
    return sql === "" || sql === "-- This is an empty migration." ? "" : `${sql}\n`;
  } finally {
    engine.free();
  }
}
