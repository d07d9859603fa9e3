/** How sync-api's CPU-bound throughput grows with its worker count, up to one worker per core. */
import { availableParallelism } from "node:os";
import { fmt } from "../lib/format.ts";
import { measureLoads } from "../lib/measure.ts";
import type { Scenario } from "../lib/scenario.ts";
import { ready, startSyncApi } from "../lib/services.ts";

/** A sieve below one million: a few milliseconds of CPU per request (the contract allows up to 20,000,000). */
const BELOW = 1_000_000;

export const clusterScaling: Scenario = {
  name: "cluster-scaling",
  title: "sync-api cluster scaling",
  async run(context) {
    const cores = availableParallelism();
    const counts = Array.from({ length: cores }, (_, i) => i + 1);
    // The same offered load for every worker count: enough connections to keep every core busy.
    const connections = 4 * cores;
    const apps = await Promise.all(
      counts.map((workers) => startSyncApi(context, { name: `sync-api-${workers}-workers`, workers })),
    );
    await ready(...apps);
    const measured = await measureLoads(
      context,
      apps.map((app, i) => ({
        workers: counts[i] as number,
        label: `${counts[i]} worker${counts[i] === 1 ? "" : "s"}`,
        load: { url: `${app.origin}/compute/primes?below=${BELOW}`, connections },
      })),
    );
    const one = measured[0]?.summary.requestsPerSecond ?? Number.NaN;
    return {
      method: [
        `\`GET /compute/primes?below=${fmt.count(BELOW)}\` (a sieve, pure CPU) against sync-api's production build`,
        `with 1 to ${cores} workers (this machine's cores), production settings; autocannon with ${connections}`,
        `connections for every worker count, ${context.plan.seconds} s × ${context.plan.rounds} round(s), interleaved, medians.`,
        "The load generator and the supervisor share the same cores.",
      ].join("\n"),
      tables: [
        {
          columns: ["workers", "req/s", "× 1 worker", "p50", "p99", "req/s per round"],
          rows: measured.map(({ item, summary }) => [
            String(item.workers),
            fmt.count(summary.requestsPerSecond),
            fmt.ratio(summary.requestsPerSecond / one),
            fmt.ms(summary.p50),
            fmt.ms(summary.p99),
            summary.rounds.map(fmt.count).join(", "),
          ]),
        },
      ],
      chart: {
        title: `CPU-bound requests per second by worker count (${cores} cores)`,
        unit: "requests/s",
        series: ["req/s"],
        rows: measured.map(({ item, summary }) => ({ label: item.label, values: [summary.requestsPerSecond] })),
        format: fmt.count,
      },
      measurements: measured.flatMap(({ item, summary }) => [
        { label: item.label, metric: "requests per second", unit: "req/s", value: summary.requestsPerSecond },
        { label: item.label, metric: "ratio to 1 worker", unit: "×", value: summary.requestsPerSecond / one },
        { label: item.label, metric: "p50 latency", unit: "ms", value: summary.p50 },
        { label: item.label, metric: "p99 latency", unit: "ms", value: summary.p99 },
      ]),
      details: {
        below: BELOW,
        connections,
        cores,
        workers: Object.fromEntries(measured.map(({ item, summary }) => [item.workers, summary])),
      },
    };
  },
};
