import { defineConfig } from "vitest/config";

// Separate from vite.config.ts on purpose: the Remix plugin is not loaded under Vitest.
export default defineConfig({
  test: {
    name: "console",
    include: ["test/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
