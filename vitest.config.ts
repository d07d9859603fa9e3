/**
 * One Vitest run for the whole workspace (`pnpm test:unit`, part of `pnpm test`): every package
 * with a test/ folder is a project named after its folder, plus the workspace-level tests in test/,
 * then the bench's smoke test, last and alone.
 */
import { existsSync, globSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

const packages = globSync("{apps,packages}/*/package.json")
  .map((file) => dirname(file))
  .filter((dir) => existsSync(`${dir}/test`));

export default defineConfig({
  // Import the `@repo/*` packages' TypeScript sources, as `pnpm dev` does: no build needed.
  resolve: { conditions: ["@repo/source"] },
  ssr: { resolve: { conditions: ["@repo/source"] } },
  test: {
    projects: [
      ...packages.map((dir) => ({
        extends: true as const,
        test: { name: basename(dir), root: dir, include: ["test/**/*.test.ts"] },
      })),
      {
        extends: true as const,
        // test/containers needs a Docker engine: `pnpm test:containers` (vitest.containers.config.ts).
        test: {
          name: "workspace",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/containers/**"],
        },
      },
      {
        extends: true as const,
        test: {
          name: "bench",
          root: "bench",
          include: ["test/**/*.test.ts"],
          // The quick bench loads the machine's cores: it runs after every other project, alone.
          sequence: { groupOrder: 1 },
        },
      },
    ],
    // Most files wait on the processes they start, so two run at once even on 2 cores (Vitest's
    // default, a worker fewer than the cores, would run them one at a time there).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Tests start real processes on real ports; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A JSON report for `pnpm test`'s closing line (scripts/test-summary.mjs); VITEST_REPORT names a
    // second run's report (`test:prefix`: reports/vitest-prefix.json).
    reporters: [
      "default",
      [
        "json",
        { outputFile: `reports/vitest${process.env.VITEST_REPORT ? `-${process.env.VITEST_REPORT}` : ""}.json` },
      ],
    ],
  },
});
