import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Plugin } from "vite";
import { defineConfig } from "wxt";

// The public key behind a stable extension ID (policy files and force-install lists name the ID).
// `npm run build:extension` creates keys/ on first use; plain builds without it get a random dev ID.
// The Chromium test builds into its own folder with a throwaway key (CORVID_EXTENSION_KEY_FILE, CORVID_EXTENSION_OUT_DIR).
const publicKeyFile = process.env.CORVID_EXTENSION_KEY_FILE ?? "keys/public-key.b64";
const manifestKey = existsSync(publicKeyFile) ? readFileSync(publicKeyFile, "utf8").trim() : undefined;

/**
 * sqlite-wasm's index.mjs also spawns a Worker for the deprecated Promiser API; we never use it, so
 * the ~216 kB bundle is dropped. Runs in worker bundles, where top-level Vite plugins do not apply.
 */
const stripSqliteWorker1: Plugin = {
  name: "corvid-strip-sqlite-worker1",
  enforce: "pre",
  transform(code, id) {
    if (!id.includes("@sqlite.org/sqlite-wasm/dist/index.mjs")) return undefined;
    const spawn = 'new Worker(new URL("sqlite3-worker1.mjs", import.meta.url), { type: "module" })';
    if (!code.includes(spawn)) this.warn("sqlite3-worker1 spawn not found: did @sqlite.org/sqlite-wasm change?");
    return code.replace(spawn, '(() => { throw new Error("sqlite3Worker1Promiser is not bundled"); })()');
  },
};

/**
 * sqlite-wasm finds its binary next to the worker script (`new URL("sqlite3.wasm", <worker URL>)`); WXT rewrites
 * import.meta.url there, so Vite does not emit the file by itself: copy it to where the worker looks.
 */
const sqliteWasmFile = createRequire(import.meta.url).resolve("@sqlite.org/sqlite-wasm/sqlite3.wasm");

export default defineConfig({
  srcDir: "src",
  ...(process.env.CORVID_EXTENSION_OUT_DIR ? { outDir: process.env.CORVID_EXTENSION_OUT_DIR } : {}),
  // Explicit imports keep tsc and Vitest independent of the generated .wxt/ folder (fresh checkouts, CI).
  imports: false,
  manifestVersion: 3,
  manifest: {
    name: "Corvid responder",
    description: "Corvid DFIR responder for Chrome and ChromeOS: collects browser evidence only when the console asks.",
    minimum_chrome_version: "116",
    ...(manifestKey ? { key: manifestKey } : {}),
    permissions: [
      // Wakes the service worker for check-ins at the interval the console gives (no long-lived timers in MV3).
      "alarms",
      // Enrollment, keys and task/upload journals (local); policy from the admin (managed, see managed_schema.json).
      "storage",
      // Evidence spool and results can exceed the default 10 MB extension storage quota.
      "unlimitedStorage",
      // Browser.History: URLs and visits with transition and referring visit.
      "history",
      // Browser.Downloads: download records (no file contents).
      "downloads",
      // Browser.Extensions: installed extensions, their permissions and install type.
      "management",
      // Browser.Cookies: cookie metadata (values only when a task asks and policy allows).
      "cookies",
      // Browser.Tabs: URLs and titles of open tabs and windows.
      "tabs",
      // Browser.TopSites: most visited sites.
      "topSites",
      // Browser.Device: CPU, memory and storage units of the machine.
      "system.cpu",
      "system.memory",
      "system.storage",
      // Browser.Device on ChromeOS (force-installed, affiliated only; silently absent elsewhere).
      "enterprise.deviceAttributes",
      "enterprise.hardwarePlatform",
      "enterprise.networkingAttributes",
      // Hosts the dedicated worker that runs the sqlite-wasm evidence database on OPFS (a SW cannot create Workers).
      "offscreen",
    ],
    // The protocol allows only HTTPS consoles, or plain HTTP on loopback. The console address comes from policy at
    // run time, so the build cannot name it; `https://*/*` also scopes cookie metadata to HTTPS sites plus loopback.
    host_permissions: ["https://*/*", "http://127.0.0.1/*", "http://localhost/*"],
    storage: { managed_schema: "managed_schema.json" },
    // sqlite-wasm needs WebAssembly compilation, which MV3's default CSP forbids.
    content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';" },
  },
  hooks: {
    "build:publicAssets": (_wxt, files) => {
      files.push({ absoluteSrc: sqliteWasmFile, relativeDest: "assets/sqlite3.wasm" });
    },
  },
  vite: () => ({
    worker: { format: "es", plugins: () => [stripSqliteWorker1] },
    build: { target: "es2022" },
    optimizeDeps: { exclude: ["@sqlite.org/sqlite-wasm"] },
  }),
});
