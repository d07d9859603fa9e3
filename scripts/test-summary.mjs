// Sums every runner's results into the closing line `N passed, N failed, N skipped`: Vitest and
// Playwright count tests (from their JSON reports, scripts/test-reports.mjs says where); lint and
// type-check tasks count as one check each (from turbo's run summary in .turbo/runs/). A runner that
// failed without writing its report counts as one failure. A test task turbo replayed from its
// cache counts with the report the cache put back. `pnpm test` (scripts/test.mjs) prints it last;
// .ci/run again after the Docker engine's teardown. The reasons of skipped tests, once each
// (skips.txt beside the reports, written by @repo/testing's runsHere), come before it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";
import { playwrightReports, skipReasons, vitestReportOf, vitestReports } from "./test-reports.mjs";

const exitStatus = Number(process.argv[2] ?? 1);
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
/** Every failed test by name, with the gist of its error: CI's log may keep only its tail. */
const failures = [];

/** What failing output looks like: a nested run's failed test, an error, an assertion. */
const FAILURE_LINE = /\bFAIL\b|×|✗|Error\b|expected|Timed out|timed out|exited \d/;

/**
 * The first line of an error, and then the lines of it that say what failed (at most 12): an
 * error that quotes a nested run's output (the template's copies) says what failed in there.
 */
function gist(message) {
  const lines = stripVTControlCharacters(String(message ?? ""))
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const [first = "", ...rest] = lines;
  const telling = [...new Set(rest.filter((line) => FAILURE_LINE.test(line) && !line.startsWith("at ")))].slice(0, 12);
  return [first, ...telling.map((line) => `    | ${line}`)].map((line) => line.slice(0, 240)).join("\n");
}

function readJson(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

// Vitest's runs: each package's tests, the workspace's (test/, in two runs), the run under another
// async prefix and the container tests.
function vitestRun(name, path) {
  const report = readJson(path);
  if (report) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    for (const file of report.testResults ?? []) {
      const path = file.name.replace(`${process.cwd()}/`, "");
      for (const test of file.assertionResults ?? []) {
        if (test.status === "failed")
          failures.push(`${name}: ${path} › ${test.fullName}: ${gist(test.failureMessages?.[0])}`);
      }
      if (file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed")) {
        failures.push(`${name}: ${path}: ${gist(file.message)}`);
      }
    }
    lines.push(
      `${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`,
    );
  }
  return report;
}
const vitestRuns = new Map();
for (const { name, path } of vitestReports()) {
  const label = name === "prefix" ? "vitest under ASYNC_PREFIX=/aio" : `vitest ${name}`;
  vitestRuns.set(path, vitestRun(label, path));
}

// One Playwright report per proxy the end-to-end suite ran through.
const playwright = {};
for (const { proxy, path } of playwrightReports()) {
  const report = readJson(path);
  playwright[proxy] = report;
  const { expected, unexpected, flaky, skipped: notRun } = report.stats;
  collectPlaywrightFailures(proxy, report.suites ?? [], []);
  passed += expected + flaky;
  failed += unexpected;
  skipped += notRun;
  lines.push(`playwright via ${proxy}: ${expected + flaky} passed, ${unexpected} failed, ${notRun} skipped`);
}

function collectPlaywrightFailures(proxy, suites, titles) {
  for (const suite of suites) {
    const path = [...titles, suite.title].filter(Boolean);
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== "unexpected") continue;
        const error = test.results?.at(-1)?.error?.message;
        failures.push(`playwright via ${proxy}: ${[...path, spec.title].join(" › ")}: ${gist(error)}`);
      }
    }
    collectPlaywrightFailures(proxy, suite.suites ?? [], path);
  }
}

// turbo's summaries of the run (pnpm test runs turbo in phases, a summary each): each task's exit
// code. A task turbo replayed from its cache has its exit code too.
const runsDir = ".turbo/runs";
const runFiles = existsSync(runsDir)
  ? readdirSync(runsDir)
      .filter((f) => f.endsWith(".json"))
      .sort()
  : [];
const tasks = runFiles.flatMap((file) => readJson(`${runsDir}/${file}`).tasks);
for (const task of tasks) {
  const code = task.execution?.exitCode;
  const ok = code === 0;
  const name = task.taskId;
  const playwrightOf = {
    "test:e2e": playwright.dev,
    "test:e2e:nginx": playwright.nginx,
    "test:e2e:combined": playwright.combined,
    "test:e2e:containers": playwright.containers,
  };
  const vitestReport = vitestReportOf(task.directory ?? "", task.task);
  if (task.task in playwrightOf || vitestReport) {
    const wrote = vitestReport ? vitestRuns.get(vitestReport) : playwrightOf[task.task];
    if (!ok && !wrote) {
      failed += 1;
      lines.push(`${name}: failed (exit ${code}) without a report`);
    }
    continue;
  }
  if (ok) passed += 1;
  else failed += 1;
  lines.push(`${name}: ${ok ? "passed" : `failed (exit ${code})`}`);
}

if (vitestRuns.size === 0 && Object.keys(playwright).length === 0 && tasks.length === 0) {
  failed += 1;
  lines.push("no runner reported anything");
}
if (exitStatus !== 0 && failed === 0) {
  failed += 1;
  lines.push(`pnpm test exited ${exitStatus} with no failure counted above`);
}

// Why tests were skipped, once each: the tools this machine lacks, say.
const reasons = skipReasons();
if (failures.length > 0) lines.push("failed tests:", ...failures.map((failure) => `  ${failure}`));
if (reasons.length > 0) lines.push("skipped, because:", ...reasons.map((reason) => `  ${reason}`));

console.log(`\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
