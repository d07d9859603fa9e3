/**
 * The child run of test/cleanup.test.ts: test files that start processes and then fail, run by
 * a Vitest of their own so the outer test can check that nothing they started outlives them.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@repo/source"] },
  ssr: { resolve: { conditions: ["@repo/source"] } },
  test: {
    root: import.meta.dirname,
    include: ["fixtures/*.fixture.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"],
  },
});
