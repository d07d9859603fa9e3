/** What a scenario is given, and what it hands back for the report. */
import type { Rounds } from "./load.ts";
import type { Processes } from "./processes.ts";
import type { BarChart } from "./svg.ts";

export interface BenchContext {
  /** `--quick`: one short round of everything, to prove the bench runs. */
  readonly quick: boolean;
  /** How long and how often a load is measured. */
  readonly plan: Rounds;
  /** The checkout whose production builds are started (`--apps`; this one by default). */
  readonly appsRoot: string;
  /** Scratch space for databases and logs; removed after a run that did not fail. */
  readonly workDir: string;
  /** The scenario's processes: main stops every one of them when the scenario ends, pass or fail. */
  readonly processes: Processes;
  /** A progress line on the console. */
  log(line: string): void;
}

export interface Table {
  readonly caption?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Every column left-aligned (by default only the first is; numbers align right). */
  readonly leftAligned?: boolean;
  /** How many leading columns hold text and are left-aligned (1 by default). */
  readonly textColumns?: number;
}

/** One measured quantity. Only quantities that are positive by nature go here. */
export interface Measurement {
  readonly label: string;
  readonly metric: string;
  readonly unit: string;
  readonly value: number;
}

export interface ScenarioReport {
  /** Markdown: what is measured and how. */
  readonly method: string;
  readonly tables: readonly Table[];
  readonly chart: BarChart;
  readonly remarks?: readonly string[];
  /** Every positive quantity the scenario measured (results.json; the smoke test checks them). */
  readonly measurements: readonly Measurement[];
  /** Everything else worth keeping: per-round figures, counts that may be zero, the settings used. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<ScenarioReport>;
}
