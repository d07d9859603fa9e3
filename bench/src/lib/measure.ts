/** Loads against several targets, interleaved round by round, summarized by their medians. */
import { setTimeout as sleep } from "node:timers/promises";
import { treeCpuSeconds } from "./background.ts";
import { fmt } from "./format.ts";
import { interleave, type LoadOptions, type LoadResult, load } from "./load.ts";
import { countLines, fileSize } from "./logs.ts";
import { probe } from "./probe.ts";
import type { BenchContext } from "./scenario.ts";
import { median } from "./stats.ts";
import type { BarChart } from "./svg.ts";

export interface LoadItem {
  readonly label: string;
  readonly load: Omit<LoadOptions, "seconds">;
  /** A log file to count the lines of that each run adds (about one per request with logs on). */
  readonly logFile?: string;
  /** One request at a time on one connection, timed by lib/probe.ts instead of autocannon. */
  readonly sequential?: boolean;
  /** A server process whose CPU time (its own, its threads' and its descendants') per 2xx answer is measured. */
  readonly cpuPid?: number;
  /** The database server the item's answers query (PostgreSQL's postmaster): its CPU per 2xx answer too. */
  readonly databasePid?: number;
}

export interface LoadSummary {
  /** Medians over the rounds. */
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Each round's requests per second, in order. */
  readonly rounds: readonly number[];
  readonly errors: number;
  /** Lines the item's log gained per 2xx answer (median over the rounds), when it has a log file. */
  readonly logLinesPerRequest?: number;
  /** CPU microseconds the `cpuPid` process tree spent per 2xx answer (median over the rounds); Linux only. */
  readonly cpuMicrosPerRequest?: number;
  /** The same for the `databasePid` process tree. */
  readonly databaseCpuMicrosPerRequest?: number;
}

interface Measured extends LoadResult {
  readonly logLines?: number;
  readonly cpuSeconds?: number;
  readonly databaseCpuSeconds?: number;
}

async function measureOne(item: LoadItem, seconds: number): Promise<Measured> {
  const run = () => (item.sequential ? probe(item.load.url, seconds) : load({ ...item.load, seconds }));
  const cpuFrom = item.cpuPid === undefined ? 0 : treeCpuSeconds(item.cpuPid);
  const databaseFrom = item.databasePid === undefined ? 0 : treeCpuSeconds(item.databasePid);
  const logFrom = item.logFile ? fileSize(item.logFile) : 0;
  const result = await run();
  const cpu = {
    ...(item.cpuPid === undefined ? {} : { cpuSeconds: treeCpuSeconds(item.cpuPid) - cpuFrom }),
    ...(item.databasePid === undefined ? {} : { databaseCpuSeconds: treeCpuSeconds(item.databasePid) - databaseFrom }),
  };
  if (!item.logFile) return { ...result, ...cpu };
  // The last lines may still be on their way to the file.
  await sleep(250);
  return { ...result, ...cpu, logLines: countLines(item.logFile, logFrom) };
}

/** CPU microseconds per 2xx answer; none without a CPU reading (or off Linux, where it reads 0). */
function cpuPerRequest(r: Measured, seconds = r.cpuSeconds): number | undefined {
  return seconds === undefined || seconds <= 0 ? undefined : (seconds * 1e6) / Math.max(1, r.requests);
}

export async function measureLoads<T extends LoadItem>(
  context: BenchContext,
  items: readonly T[],
): Promise<{ item: T; summary: LoadSummary }[]> {
  const { plan } = context;
  const results = await interleave(items, plan, measureOne, (item, r, round) =>
    context.log(
      `  round ${round}/${plan.rounds}  ${item.label}: ${fmt.rps(r.requestsPerSecond)}, p50 ${fmt.ms(r.p50)}, p99 ${fmt.ms(r.p99)}` +
        (r.logLines === undefined ? "" : `, ${fmt.count(r.logLines)} log lines`) +
        (r.cpuSeconds === undefined ? "" : `, ${fmt.us(cpuPerRequest(r) ?? Number.NaN)} CPU per request`) +
        (r.databaseCpuSeconds === undefined
          ? ""
          : `, ${fmt.us(cpuPerRequest(r, r.databaseCpuSeconds) ?? Number.NaN)} database CPU per request`),
    ),
  );
  return items.map((item, index) => {
    const runs = results[index] ?? [];
    const lines = runs.flatMap((r) => (r.logLines === undefined ? [] : [r.logLines / Math.max(1, r.requests)]));
    const cpu = runs.flatMap((r) => cpuPerRequest(r) ?? []);
    const databaseCpu = runs.flatMap((r) => cpuPerRequest(r, r.databaseCpuSeconds) ?? []);
    return {
      item,
      summary: {
        requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        rounds: runs.map((r) => Math.round(r.requestsPerSecond)),
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
        ...(lines.length ? { logLinesPerRequest: median(lines) } : {}),
        ...(cpu.length ? { cpuMicrosPerRequest: median(cpu) } : {}),
        ...(databaseCpu.length ? { databaseCpuMicrosPerRequest: median(databaseCpu) } : {}),
      },
    };
  });
}

/**
 * The chart of a scenario that measures loads: one bar per load, its requests per second, under
 * the heading of its group.
 */
export function requestsPerSecondChart(
  title: string,
  bars: readonly { readonly label: string; readonly group: string; readonly summary: LoadSummary }[],
): BarChart {
  return {
    title,
    unit: "requests/s",
    series: ["req/s"],
    rows: bars.map(({ label, group, summary }) => ({ label, group, values: [summary.requestsPerSecond] })),
    format: fmt.count,
  };
}
