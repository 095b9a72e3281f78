import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "e2e",
    include: ["**/*.e2e.test.ts"],
    environment: "node",
    pool: "forks",
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
