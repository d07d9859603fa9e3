// Where `pnpm test`'s runners leave their reports, each where turbo caches it with its task: a
// package's `test` in its reports/vitest.json, a root Vitest run in reports/<run>/vitest.json, an
// end-to-end run in e2e/reports/<proxy>/playwright.json. Beside each, skips.txt holds why tests
// were skipped (runsHere of @repo/testing).
import { existsSync, globSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";

/** Every reports/ folder there is: the root's and the packages'. */
export function reportDirs() {
  return ["reports", ...globSync("{apps/*,packages/*,bench,e2e}/reports")].filter((dir) => existsSync(dir));
}

/** Each Vitest report with the run's name: the package's folder, or the root run's folder. */
export function vitestReports() {
  return [...globSync("reports/*/vitest.json"), ...globSync("{apps/*,packages/*,bench}/reports/vitest.json")]
    .sort()
    .map((path) => {
      const dir = dirname(path);
      return { name: dir.startsWith("reports/") ? basename(dir) : basename(dirname(dir)), path };
    });
}

/** Each Playwright report with the proxy its run went through. */
export function playwrightReports() {
  return globSync("e2e/reports/*/playwright.json")
    .sort()
    .map((path) => ({ proxy: basename(dirname(path)), path }));
}

/** The Vitest report a turbo task of `pnpm test` writes, by its package folder and task name. */
export function vitestReportOf(directory, task) {
  if (task === "test") return `${directory}/reports/vitest.json`;
  if (directory === "" || directory === ".") {
    const run = /^test:(workspace|template|prefix|postgres|containers)$/.exec(task)?.[1];
    if (run) return `reports/${run}/vitest.json`;
  }
  return undefined;
}

/** Every reason a test was skipped, once each. */
export function skipReasons() {
  const files = reportDirs()
    .flatMap((dir) => globSync(`${dir}/{,*/}skips.txt`))
    .sort();
  return [...new Set(files.flatMap((file) => readFileSync(file, "utf8").split("\n").filter(Boolean)))];
}
