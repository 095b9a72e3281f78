import { defineConfig } from "vitest/config";

// One `npm test` runs every package's own Vitest project; each folder keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ["packages/*", "wasm", "console", "agent-native", "extension", "e2e"].map(
      (dir) => `${dir}/vitest.config.ts`,
    ),
  },
});
