import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./process.ts";

/**
 * Whether tests that need something this machine may lack (nginx, a browser, a Docker engine) run
 * here. Where it is missing they are skipped, loudly (a developer's laptop may have none), and the
 * reason is kept in skips.txt beside the runner's report (REPO_TESTING_REPORTS, which
 * vitest.config.ts sets; reports/ otherwise), so `pnpm test` lists each reason once beside its closing
 * line; under CI=true a missing tool is an error instead, so CI never passes by skipping.
 */
export function runsHere(what: string, missing: string | undefined): boolean {
  if (!missing) return true;
  if (process.env.CI) throw new Error(`${what}: ${missing}`);
  console.warn(`\n  ⚠  ${what} SKIPPED: ${missing}\n`);
  const reports = process.env.REPO_TESTING_REPORTS ?? join(repoRoot, "reports");
  mkdirSync(reports, { recursive: true });
  appendFileSync(join(reports, "skips.txt"), `${what}: ${missing}\n`);
  return false;
}
