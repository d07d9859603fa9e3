/**
 * infra/ in a real Docker engine (`pnpm test:containers`, part of `pnpm test` after the end-to-end
 * runs): the images themselves, the compose stack scaled and drained, the swarm stack scaled and
 * updated under load. Apart from the other Vitest runs because they build images and load the
 * machine's cores for minutes. Without an engine they are skipped loudly, except under CI=true.
 */
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const reportDir = join(import.meta.dirname, "reports/containers");

export default defineConfig({
  resolve: { conditions: ["@repo/source"] },
  ssr: { resolve: { conditions: ["@repo/source"] } },
  test: {
    include: ["test/containers/**/*.test.ts"],
    // The two files side by side: each has stacks of its own, and most of their time is Docker's
    // (health checks, update delays), not the machine's.
    fileParallelism: true,
    maxWorkers: 2,
    // Image builds (cached after the first), stacks that start and update at Docker's pace.
    testTimeout: 10 * 60_000,
    hookTimeout: 20 * 60_000,
    env: { REPO_TESTING_REPORTS: reportDir },
    reporters: ["default", ["json", { outputFile: join(reportDir, "vitest.json") }]],
  },
});
