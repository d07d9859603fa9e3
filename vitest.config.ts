/**
 * The workspace's Vitest projects: every package with a test/ folder is a project named after its
 * folder, plus the workspace-level tests in test/, split in three: `template` (a copy of the project
 * installed and tested again, and the checks on its docs and files), `stacks` (files that share
 * one dev stack and one production stack) and `workspace` (the rest: stacks of their own, faults,
 * properties); and `postgres`, some of `workspace`'s files again with sync-api on PostgreSQL.
 * `pnpm vitest run` runs them all in one process.
 *
 * `pnpm test` runs them as turbo tasks instead, each cached on its own inputs (turbo.json): each
 * package's `test` script runs its project with this config (`--config ../../vitest.config.ts
 * --project <folder>`), the root's `test:workspace` (`workspace` and `stacks`) and `test:template` the others.
 */
import { existsSync, globSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

const repoDir = import.meta.dirname;
const packages = globSync("{apps/*,packages/*,bench}/package.json", { cwd: repoDir })
  .map((file) => dirname(file))
  .filter((dir) => existsSync(join(repoDir, dir, "test")));

/** The files that send requests through stacks they share (test/support/shared-stacks.ts). */
const SHARED_STACK_FILES = ["test/routing.test.ts", "test/closed-query.test.ts", "test/ports.test.ts"];

/**
 * The suites that run again with sync-api on PostgreSQL (`test:postgres`): the contract layer, the
 * properties and the faults that do not read SQLite's file (database.test.ts, the outbox seeders).
 * PostgreSQL's own faults (a restart under load, a statement timeout, a full connection limit) are
 * sync-api's own tests (apps/sync-api/test/).
 */
const POSTGRES_FILES = ["test/contract-layer.test.ts", "test/properties/api.test.ts", "test/faults/faults.test.ts"];

/** The copies of the project and the checks on its files, docs and examples: `test:template`. */
const TEMPLATE_FILES = [
  "test/template-copy.test.ts",
  "test/no-examples.test.ts",
  "test/generators.test.ts",
  "test/init-project.test.ts",
  "test/examples.test.ts",
  "test/references.test.ts",
  "test/template-hygiene.test.ts",
];

// Where the JSON report and the reasons for skips go: the package's reports/ when a package's
// `test` script runs (turbo caches it there), else reports/<VITEST_REPORT> at the root
// (`test:workspace`, `test:template`, `test:prefix`; `vitest` for a run by hand).
const runDir = process.cwd();
const atRoot = relative(repoDir, runDir) === "";
/** This run's name: the package's folder, or the root run's. */
const run = atRoot ? (process.env.VITEST_REPORT ?? "vitest") : basename(runDir);
const reportDir = atRoot ? join(repoDir, "reports", run) : join(runDir, "reports");

export default defineConfig({
  root: repoDir,
  // Import the `@repo/*` packages' TypeScript sources, as `pnpm dev` does: no build needed.
  resolve: { conditions: ["@repo/source"] },
  ssr: { resolve: { conditions: ["@repo/source"] } },
  // The same for the global setup files (test/support/shared-stacks.ts), which Vitest loads in its
  // own environment: without it they would import the packages' dist/, absent before a build.
  environments: { __vitest__: { resolve: { conditions: ["@repo/source"] } } },
  test: {
    projects: [
      ...packages.map((dir) => ({
        extends: true as const,
        test: {
          name: basename(dir),
          root: join(repoDir, dir),
          include: ["test/**/*.test.ts"],
          // The quick bench loads the machine's cores: in one run of every project it goes last, alone.
          ...(dir === "bench" ? { sequence: { groupOrder: 1 } } : {}),
        },
      })),
      {
        extends: true as const,
        // test/containers needs a Docker engine: `pnpm test:containers` (vitest.containers.config.ts).
        test: {
          name: "workspace",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/containers/**", ...TEMPLATE_FILES, ...SHARED_STACK_FILES],
        },
      },
      {
        extends: true as const,
        test: { name: "stacks", include: SHARED_STACK_FILES, globalSetup: ["test/support/shared-stacks.ts"] },
      },
      { extends: true as const, test: { name: "template", include: TEMPLATE_FILES } },
      {
        extends: true as const,
        test: {
          name: "postgres",
          include: POSTGRES_FILES,
          globalSetup: ["test/support/postgres-server.ts"],
          setupFiles: ["test/support/postgres-env.ts"],
        },
      },
    ],
    // Most files wait on the processes they start, so two run at once even on 2 cores (Vitest's
    // default, a worker fewer than the cores, would run them one at a time there). `pnpm test`
    // runs several of these tasks at once and gives each fewer (TEST_WORKERS, scripts/test.mjs).
    maxWorkers: Number(process.env.TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    // Tests start real processes on real ports; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // runsHere of @repo/testing writes its reasons beside the report; freePort takes ports of the
    // run's own (two runs side by side under `pnpm test`).
    env: { REPO_TESTING_REPORTS: reportDir, REPO_TESTING_PORTS: run },
    // A JSON report for `pnpm test`'s closing line (scripts/test-summary.mjs).
    reporters: ["default", ["json", { outputFile: join(reportDir, "vitest.json") }]],
  },
});
