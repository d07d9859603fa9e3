/** The report: README.md (tables, embedded charts), one SVG per scenario, and results.json. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Background, describeBackground, isBusy } from "./background.ts";
import type { Rounds } from "./load.ts";
import { type Machine, machineLines } from "./machine.ts";
import type { ScenarioReport, Table } from "./scenario.ts";
import { barChartSvg } from "./svg.ts";

export interface ScenarioOutcome {
  readonly name: string;
  readonly title: string;
  readonly seconds: number;
  /** What else the machine did meanwhile. */
  readonly background: Background;
  readonly report?: ScenarioReport;
  readonly error?: string;
}

export interface Run {
  readonly command: string;
  readonly quick: boolean;
  readonly machine: Machine;
  readonly seconds: number;
  readonly background: Background;
  readonly plan: Rounds;
  readonly scenarios: readonly ScenarioOutcome[];
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** What else ran, flagged when it was enough to disturb the figures. */
const cores = (b: Background) => `${describeBackground(b)}${isBusy(b) ? " (**busy machine: disturbed figures**)" : ""}`;

/** A table's rows, header first, each cell padded to its column's width (numbers align right). */
function padded(table: Table, written: (text: string) => string, minWidth: number) {
  const rows = [table.columns, ...table.rows].map((row) => row.map(written));
  const widths = table.columns.map((_, i) => Math.max(minWidth, ...rows.map((row) => (row[i] ?? "").length)));
  const left = (i: number) => i < (table.textColumns ?? 1) || table.leftAligned === true;
  const pad = (row: readonly string[]) =>
    widths.map((width, i) => (left(i) ? (row[i] ?? "").padEnd(width) : (row[i] ?? "").padStart(width)));
  return { rows: rows.map(pad), widths, left };
}

/** A Markdown table as Biome formats one, so `pnpm lint` passes on the committed report. */
export function markdownTable(table: Table): string {
  const { rows, widths, left } = padded(table, cell, 3);
  const line = (row: readonly string[]) => `| ${row.join(" | ")} |`;
  const rule = widths.map((width, i) => (left(i) ? "-".repeat(width) : `${"-".repeat(width - 1)}:`));
  const [header = [], ...body] = rows;
  return [...(table.caption ? [`**${table.caption}**`, ""] : []), line(header), line(rule), ...body.map(line)].join(
    "\n",
  );
}

/** JSON as Biome formats it: two-space indents, and an array of plain values on one line when it fits. */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return `${text.replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (whole, items: string, offset: number) => {
    const oneLine = `[${items.split(/,\n\s+/).join(", ")}]`;
    const column = offset - (text.lastIndexOf("\n", offset) + 1);
    return column + oneLine.length <= 120 ? oneLine : whole;
  })}\n`;
}

/** The same table for a terminal. */
export function consoleTable(table: Table): string {
  const { rows } = padded(table, (text) => text, 0);
  return [...(table.caption ? [table.caption] : []), ...rows.map((row) => row.join("  ").trimEnd())].join("\n");
}

function markdown(run: Run): string {
  const out: string[] = [
    "# Benchmarks",
    "",
    "Every speed figure of this project comes from `pnpm bench` (`bench/`), and these pages are its",
    "output. The load generator (autocannon) runs on the same machine as the servers, over loopback, so",
    "the figures compare with each other, not with other machines. Nothing here is asserted: a",
    "benchmark does not fail on speed.",
    "",
    "On a shared virtual machine the absolute figures can move by tens of percent from one run to the",
    "next while nothing else visibly runs (each section says how much CPU other processes and the",
    "hypervisor took meanwhile). The ratios, measured within the same interleaved rounds, move much less:",
    "compare ratios across runs, and look at the rounds column before trusting a difference.",
    "",
    "`pnpm bench` builds the apps (turbo's `^build`) and writes this page; `pnpm bench --quick` runs every",
    "scenario for half a second or so into a temporary directory; `--only overhead,proxy-cost` runs some. To",
    "compare with another commit, check it out beside this one and build it (`git worktree add ../before",
    "<commit> && cd ../before && pnpm install && pnpm build`), then run `pnpm bench --apps ../before --out",
    "<dir>` here: the bench only starts the production builds and speaks HTTP to them.",
    "",
    "## Machine and command",
    "",
    markdownTable({
      columns: ["", ""],
      leftAligned: true,
      rows: [
        ...machineLines(run.machine),
        ["command", `\`${run.command}\``],
        [
          "plan",
          `${run.plan.rounds} round(s) of ${run.plan.seconds} s per measurement, interleaved, ${run.plan.warmupSeconds} s warm-up each; medians reported`,
        ],
        ["total time", `${Math.round(run.seconds)} s`],
        ["other load", cores(run.background)],
      ],
    }),
    "",
  ];
  for (const scenario of run.scenarios) {
    out.push(`## ${scenario.title} (\`${scenario.name}\`)`, "");
    if (!scenario.report) {
      out.push(`**Failed** after ${Math.round(scenario.seconds)} s:`, "", "```", scenario.error ?? "", "```", "");
      continue;
    }
    const { report } = scenario;
    out.push(report.method, "", `![${scenario.title}](${scenario.name}.svg)`, "");
    for (const table of report.tables) out.push(markdownTable(table), "");
    for (const remark of report.remarks ?? []) out.push(`- ${remark}`);
    if (report.remarks?.length) out.push("");
    out.push(`_${Math.round(scenario.seconds)} s; ${cores(scenario.background)}._`, "");
  }
  return out.join("\n");
}

export function writeReport(dir: string, run: Run): void {
  mkdirSync(dir, { recursive: true });
  for (const scenario of run.scenarios) {
    if (scenario.report) writeFileSync(join(dir, `${scenario.name}.svg`), barChartSvg(scenario.report.chart));
  }
  writeFileSync(join(dir, "README.md"), markdown(run));
  const results = {
    command: run.command,
    quick: run.quick,
    machine: run.machine,
    plan: run.plan,
    seconds: run.seconds,
    background: run.background,
    scenarios: Object.fromEntries(
      run.scenarios.map((s) => [
        s.name,
        {
          title: s.title,
          seconds: s.seconds,
          background: s.background,
          ...(s.error === undefined ? {} : { error: s.error }),
          ...(s.report ? { measurements: s.report.measurements, details: s.report.details } : {}),
        },
      ]),
    ),
  };
  writeFileSync(join(dir, "results.json"), formatJson(results));
}
