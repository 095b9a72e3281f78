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
    // The two Chromium tests each write a managed-policy file; Chromium does not merge "3rdparty" across files,
    // so they must not overlap.
    fileParallelism: false,
  },
});
