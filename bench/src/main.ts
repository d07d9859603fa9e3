/**
 * `pnpm bench`: every speed figure of the project. Runs each scenario in turn against the
 * production builds (`pnpm bench` builds them first through turbo's `^build`), prints the figures
 * and writes the report: README.md, one SVG chart per scenario and results.json. Asserts nothing
 * about speed; exits non-zero only when a scenario could not run.
 *
 *   pnpm bench                      every scenario, full length; the report goes to docs/benchmarks/
 *   pnpm bench --quick              every scenario for half a second or so each; the report goes to a temp dir
 *   pnpm bench --only overhead,isolation
 *   pnpm bench --out DIR            where the report goes
 *   pnpm bench --apps DIR           measure the production builds of another checkout (built there)
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { backgroundBetween, describeBackground, isBusy, snapshot } from "./lib/background.ts";
import type { Rounds } from "./lib/load.ts";
import { describeMachine, machineLines } from "./lib/machine.ts";
import { Processes } from "./lib/processes.ts";
import { consoleTable, type ScenarioOutcome, writeReport } from "./lib/report.ts";
import { benchRoot } from "./lib/services.ts";
import { scenarios as SCENARIOS } from "./scenarios/index.ts";

const FULL: Rounds = { rounds: 3, seconds: 5, warmupSeconds: 1 };
const QUICK: Rounds = { rounds: 1, seconds: 0.5, warmupSeconds: 0 };

const argv = process.argv.slice(2);
const { values: args } = parseArgs({
  args: argv,
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    only: { type: "string" },
    apps: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  process.stdout.write(
    [
      "pnpm bench [--quick] [--out DIR] [--only NAME,...] [--apps DIR]",
      "",
      "  --quick        every scenario for half a second or so each (the report goes to a temp dir)",
      "  --out DIR      where README.md, the SVGs and results.json go; relative to the repository root",
      "                 under `pnpm bench` (default: docs/benchmarks/ for a full run of every scenario",
      "                 on this checkout, a temp dir otherwise)",
      "  --only LIST    run these scenarios only, in the usual order",
      "  --apps DIR     the checkout whose production builds to measure (default: this one)",
      "",
      `scenarios: ${SCENARIOS.map((s) => s.name).join(", ")}`,
      "",
    ].join("\n"),
  );
  process.exit(0);
}

// A relative path on the command line is the caller's: turbo runs this in bench/, from where it
// was invoked (the repository root, for `pnpm bench`); pnpm alone, from where pnpm was called.
const callerDir = process.env.TURBO_INVOCATION_DIR ?? process.env.INIT_CWD ?? process.cwd();
const fromCaller = (path: string) => (isAbsolute(path) ? path : resolve(callerDir, path));

const wanted = args.only?.split(",").map((name) => name.trim()) ?? SCENARIOS.map((s) => s.name);
const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}\n`,
  );
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => wanted.includes(s.name));
const appsRoot = args.apps ? fromCaller(args.apps) : benchRoot;
const complete = !args.quick && !args.only && !args.apps;
const outDir = args.out
  ? fromCaller(args.out)
  : complete
    ? join(benchRoot, "docs/benchmarks")
    : mkdtempSync(join(tmpdir(), "bench-report-"));
const plan = args.quick ? QUICK : FULL;
const command =
  process.env.npm_lifecycle_event === "bench"
    ? ["pnpm bench", ...argv].join(" ")
    : ["node --conditions=@repo/source bench/src/main.ts", ...argv].join(" ");

// Ctrl-C or a TERM stops every process started (the exit handler of lib/processes.ts).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => process.exit(128 + constants.signals[signal]));
}

const machine = describeMachine(appsRoot);
const log = (line: string) => process.stdout.write(`${line}\n`);
log(`pnpm bench${args.quick ? " (quick)" : ""}: ${selected.map((s) => s.name).join(", ")}`);
for (const [key, value] of machineLines(machine)) log(`  ${key.padEnd(31)}${value}`);
log(
  `  ${"plan".padEnd(31)}${plan.rounds} round(s) × ${plan.seconds} s per measurement, ${plan.warmupSeconds} s warm-up`,
);

const workDir = mkdtempSync(join(tmpdir(), "bench-work-"));
const started = performance.now();
const runStart = snapshot();
const outcomes: ScenarioOutcome[] = [];
for (const scenario of selected) {
  log(`\n== ${scenario.title} (${scenario.name})`);
  const scenarioDir = join(workDir, scenario.name);
  mkdirSync(scenarioDir);
  const processes = new Processes(scenarioDir);
  const scenarioStarted = performance.now();
  const before = snapshot();
  const measured = () => ({
    seconds: (performance.now() - scenarioStarted) / 1000,
    background: backgroundBetween(before, snapshot()),
  });
  try {
    const report = await scenario.run({ quick: args.quick, plan, appsRoot, workDir: scenarioDir, processes, log });
    outcomes.push({ name: scenario.name, title: scenario.title, ...measured(), report });
    log("");
    for (const table of report.tables) log(`${consoleTable(table)}\n`);
    for (const remark of report.remarks ?? []) log(`- ${remark}`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    outcomes.push({ name: scenario.name, title: scenario.title, ...measured(), error: message });
    process.stderr.write(`\n${scenario.name} failed: ${message}\n`);
  } finally {
    await processes.stopAll();
  }
  const outcome = outcomes.at(-1);
  if (outcome) {
    log(`(${scenario.name}: ${Math.round(outcome.seconds)} s; ${describeBackground(outcome.background)})`);
    if (isBusy(outcome.background))
      log(`WARNING: the machine was busy with other work during ${scenario.name}: its figures are disturbed`);
  }
}

const totalSeconds = (performance.now() - started) / 1000;
const background = backgroundBetween(runStart, snapshot());
writeReport(outDir, {
  command,
  quick: args.quick,
  machine,
  seconds: totalSeconds,
  background,
  plan,
  scenarios: outcomes,
});
const failed = outcomes.filter((o) => o.error !== undefined);
log(`\nreport: ${join(outDir, "README.md")} (and results.json, ${outcomes.filter((o) => o.report).length} SVG charts)`);
log(
  `total: ${Math.round(totalSeconds)} s; ${describeBackground(background)}${isBusy(background) ? " (WARNING: a busy machine)" : ""}`,
);
if (failed.length) {
  log(`FAILED: ${failed.map((o) => o.name).join(", ")}; the processes' logs are kept in ${workDir}`);
  process.exit(1);
}
rmSync(workDir, { recursive: true, force: true });
process.exit(0);
