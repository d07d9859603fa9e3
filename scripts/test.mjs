// `pnpm test`: every test CI runs, through Turborepo (turbo.json orders and caches the tasks), then
// one closing line for the whole run, `N passed, N failed, N skipped` (scripts/test-summary.mjs),
// with the reasons of what was skipped. Exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { reportDirs } from "./test-reports.mjs";

const CONCURRENCY = process.env.TEST_CONCURRENCY ?? "2";

/**
 * The tasks, in three turbo runs one after the other, so that what loads the machine runs alone
 * without tying the tasks' cache keys together (a turbo dependsOn would): first lint, type-check,
 * every Vitest suite but the bench's (some again on PostgreSQL) and the end-to-end runs through the dev proxy, nginx and
 * combined mode, two tasks at once; then the quick bench; then the runs in containers.
 */
const PHASES = [
  [
    "//#lint",
    "//#typecheck:workspace",
    "test",
    "//#test:workspace",
    "//#test:template",
    "//#test:postgres",
    "//#test:prefix",
    "test:e2e",
    "test:e2e:nginx",
    "test:e2e:combined",
    "--filter=!@repo/bench",
  ],
  ["@repo/bench#test"],
  ["test:e2e:containers", "//#test:containers"],
];

// Reports of an earlier run would be counted again; a task turbo finds in its cache puts its
// report back.
for (const dir of reportDirs()) rmSync(dir, { recursive: true, force: true });
rmSync(".turbo/runs", { recursive: true, force: true });
let failed = false;
for (const tasks of PHASES) {
  // Two tasks at once (turbo's --concurrency), each two test files at a time (TEST_WORKERS, read
  // by vitest.config.ts): most files wait on the processes they start.
  const run = spawnSync(
    "turbo",
    ["run", ...tasks, "--continue=always", "--summarize", `--concurrency=${CONCURRENCY}`, ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, TEST_WORKERS: process.env.TEST_WORKERS ?? "2" } },
  );
  if (run.status !== 0) failed = true;
}
const summary = spawnSync(process.execPath, ["scripts/test-summary.mjs", failed ? "1" : "0"], { stdio: "inherit" });
process.exit(!failed && summary.status === 0 ? 0 : 1);
