import { defineConfig } from "vitest/config";
import { WxtVitest } from "wxt/testing/vitest-plugin";

// WxtVitest swaps `wxt/browser` for WXT's in-memory fake browser and applies the `@/` alias and auto-imports.
export default defineConfig({
  plugins: [WxtVitest()],
  test: {
    name: "extension",
    include: ["test/**/*.test.ts"],
    environment: "node",
    mockReset: true,
    restoreMocks: true,
    testTimeout: 30_000,
    // The two Chromium tests each start Chromium (one also the console): together they would starve a small machine.
    // Their policy files do not clash (Chromium merges "3rdparty" per extension ID across files). A root `vitest run`
    // takes this from the root config instead, where a 2-core machine gets one worker anyway.
    fileParallelism: false,
  },
});
