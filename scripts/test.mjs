// `pnpm test`: every test CI runs, through Turborepo (turbo.json orders and caches the tasks), then
// one closing line for the whole run, `N passed, N failed, N skipped` (scripts/test-summary.mjs),
// with the reasons of what was skipped. Exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

/** The tasks, in the order turbo.json's dependsOn lets them run. */
const TASKS = [
  "//#lint",
  "//#typecheck:workspace",
  "//#test:unit",
  "//#test:prefix",
  "test:e2e",
  "test:e2e:nginx",
  "test:e2e:combined",
  "test:e2e:containers",
  "//#test:containers",
];

// Reports of an earlier run would be counted again.
rmSync("reports", { recursive: true, force: true });
rmSync(".turbo/runs", { recursive: true, force: true });
const run = spawnSync("turbo", ["run", ...TASKS, "--continue=always", "--summarize", ...process.argv.slice(2)], {
  stdio: "inherit",
});
const summary = spawnSync(process.execPath, ["scripts/test-summary.mjs", String(run.status ?? 1)], {
  stdio: "inherit",
});
process.exit(run.status === 0 && summary.status === 0 ? 0 : 1);
