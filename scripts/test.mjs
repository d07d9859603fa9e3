// `pnpm test`: every test CI runs, through Turborepo (turbo.json orders and caches the tasks), then
// one closing line for the whole run, `N passed, N failed, N skipped` (scripts/test-summary.mjs),
// with the reasons of what was skipped. Exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { reportDirs } from "./test-reports.mjs";

const CONCURRENCY = process.env.TEST_CONCURRENCY ?? "3";

/** The tasks, in the order turbo.json's dependsOn lets them run. */
const TASKS = [
  "//#lint",
  "//#typecheck:workspace",
  "test",
  "//#test:workspace",
  "//#test:template",
  "//#test:prefix",
  "test:e2e",
  "test:e2e:nginx",
  "test:e2e:combined",
  "test:e2e:containers",
  "//#test:containers",
];

// Reports of an earlier run would be counted again; a task turbo finds in its cache puts its
// report back.
for (const dir of reportDirs()) rmSync(dir, { recursive: true, force: true });
rmSync(".turbo/runs", { recursive: true, force: true });
// The test tasks run three at once (turbo's --concurrency), each one test file at a time
// (TEST_WORKERS, read by vitest.config.ts): most files wait on the processes they start.
const run = spawnSync(
  "turbo",
  ["run", ...TASKS, "--continue=always", "--summarize", `--concurrency=${CONCURRENCY}`, ...process.argv.slice(2)],
  { stdio: "inherit", env: { ...process.env, TEST_WORKERS: process.env.TEST_WORKERS ?? "1" } },
);
const summary = spawnSync(process.execPath, ["scripts/test-summary.mjs", String(run.status ?? 1)], {
  stdio: "inherit",
});
process.exit(run.status === 0 && summary.status === 0 ? 0 : 1);
