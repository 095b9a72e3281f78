import type { ParsedFormat } from "./errors.ts";

/** A module of the build folder: a format's parser, or the gram index that @corvid/sigma's literal search reads text with. */
export type WasmModuleName = ParsedFormat | "grams";

/**
 * Compiled modules are cached by name. In browsers and extension service workers the bytes are
 * fetched next to this module; in Node they are read from the build folder. Callers that already hold
 * the bytes (an SEA asset, a bundler import) pass them to `compileFormat` directly.
 */
const compiled = new Map<WasmModuleName, Promise<WebAssembly.Module>>();

export function compileFormat(format: WasmModuleName, bytes?: BufferSource): Promise<WebAssembly.Module> {
  let module = compiled.get(format);
  if (!module) {
    module = (bytes ? Promise.resolve(bytes) : readBuiltModule(format)).then((b) => WebAssembly.compile(b));
    compiled.set(format, module);
  }
  return module;
}

async function readBuiltModule(format: WasmModuleName): Promise<BufferSource> {
  const url = new URL(`../build/${format}.wasm`, import.meta.url);
  if (url.protocol === "file:") {
    // Node cannot fetch file: URLs; this dynamic import is skipped in browsers.
    const { readFile } = await import("node:fs/promises");
    return readFile(url).catch((error: unknown) => {
      throw new Error(`wasm module ${format}.wasm is missing: run \`npm run build:wasm\` (${String(error)})`);
    });
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`wasm module ${format}.wasm could not be fetched: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Instantiates a fresh instance: one per parse, so a trap or a grown memory never leaks into the next file. */
export async function instantiateFormat(format: ParsedFormat): Promise<WebAssembly.Instance> {
  const module = await compileFormat(format);
  return WebAssembly.instantiate(module, {
    env: {
      abort(_message: number, _file: number, line: number, column: number): never {
        throw new Error(`${format}.wasm aborted at ${line}:${column}`);
      },
      seed: () => Date.now(),
    },
  });
}

/**
 * The compiled gram index of @corvid/sigma, for `new SigmaEngine(rules, { gramScanner })`: the engine instantiates it
 * synchronously for each large automaton, which is why it takes a compiled module rather than loading one itself.
 */
export function compileGramScanner(bytes?: BufferSource): Promise<WebAssembly.Module> {
  return compileFormat("grams", bytes);
}
