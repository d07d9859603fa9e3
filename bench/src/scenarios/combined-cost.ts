/**
 * What combined mode costs a sync request: the same sync-api handler answered through combined
 * mode's thread pool, against sync-api's cluster with as many workers as the pool has threads,
 * and against combined mode with its handlers inline (the same server without the pool's hop).
 * Throughput under autocannon, and the server's CPU time per answer.
 */
import { fmt } from "../lib/format.ts";
import { type LoadItem, type LoadSummary, measureLoads, requestsPerSecondChart } from "../lib/measure.ts";
import { createNote } from "../lib/notes.ts"; // #example
import type { Measurement, Scenario } from "../lib/scenario.ts";
import { hasCombined, ready, type Service, startCombined, startSyncApi } from "../lib/services.ts";

const CONNECTIONS = 50;
/** Workers of the cluster, threads of the pool. */
const COUNTS = [1, 2] as const;

type Runner = "cluster" | "pool" | "inline";
/** The sync routes measured: a probe, and the examples' database read. */
const ROUTES = [
  "healthz",
  "note", // #example
] as const;
type Route = (typeof ROUTES)[number];

interface Item extends LoadItem {
  /** What answers, without the route: "sync-api, 1 worker". */
  readonly who: string;
  readonly runner: Runner;
  readonly route: Route;
  /** Workers or threads (1 inline: the event loop). */
  readonly count: number;
}

interface Comparison {
  readonly route: string;
  readonly label: string;
  /** Throughput of `a` ÷ that of `b`. */
  readonly ratio: number;
  /** CPU microseconds per answer of each, and the difference (a − b); undefined off Linux. */
  readonly cpuA?: number;
  readonly cpuB?: number;
  readonly addedCpu?: number;
}

const ROUTE_LABELS: Record<Route, string> = {
  healthz: "GET /healthz",
  note: "GET /notes/:id", // #example
};
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export const combinedCost: Scenario = {
  name: "combined-cost",
  title: "Combined mode's cost: a sync route through the thread pool vs a cluster worker",
  async run(context) {
    if (!hasCombined(context)) throw new Error(`${context.appsRoot} has no combined mode (apps/combined)`);
    const cluster = new Map<number, Service>();
    const pool = new Map<number, Service>();
    for (const count of COUNTS) {
      cluster.set(count, await startSyncApi(context, { name: `sync-api-${count}w`, workers: count, logLevel: "warn" }));
      pool.set(count, await startCombined(context, { name: `combined-${count}t`, threads: count, logLevel: "warn" }));
    }
    const inline = await startCombined(context, { name: "combined-inline", syncHandlers: "inline", logLevel: "warn" });
    const services = [...cluster.values(), ...pool.values(), inline];
    await ready(...services);
    // Each route's path on each service, by `${route} ${origin}`.
    const paths = new Map<string, string>(services.map((service) => [`healthz ${service.origin}`, "/healthz"]));
    // #region example
    // Each has a database of its own, with one note to read.
    for (const service of services) {
      const id = await createNote(service.origin);
      const response = await fetch(`${service.origin}/notes/${id}`);
      if (response.status !== 200) throw new Error(`${service.origin}/notes/${id} answered ${response.status}`);
      paths.set(`note ${service.origin}`, `/notes/${id}`);
    }
    // #endregion example

    const item = (runner: Runner, route: Route, count: number, service: Service): Item => {
      const who =
        runner === "cluster"
          ? `sync-api, ${plural(count, "worker")}`
          : runner === "pool"
            ? `combined, ${plural(count, "thread")}`
            : "combined, inline (no pool)";
      const path = paths.get(`${route} ${service.origin}`) as string;
      return {
        who,
        runner,
        route,
        count,
        label: `${who}: ${ROUTE_LABELS[route]}`,
        load: { url: `${service.origin}${path}`, connections: CONNECTIONS },
        cpuPid: service.process.pid,
      };
    };
    const items: Item[] = ROUTES.flatMap((route) => [
      ...COUNTS.flatMap((count) => [
        item("cluster", route, count, cluster.get(count) as Service),
        item("pool", route, count, pool.get(count) as Service),
      ]),
      item("inline", route, 1, inline),
    ]);
    const measured = await measureLoads(context, items);
    const find = (runner: Runner, route: Route, count: number) =>
      measured.find(({ item }) => item.runner === runner && item.route === route && item.count === count)
        ?.summary as LoadSummary;

    const compare = (route: Route, label: string, a: LoadSummary, b: LoadSummary): Comparison => ({
      route: ROUTE_LABELS[route],
      label,
      ratio: a.requestsPerSecond / b.requestsPerSecond,
      ...(a.cpuMicrosPerRequest !== undefined && b.cpuMicrosPerRequest !== undefined
        ? {
            cpuA: a.cpuMicrosPerRequest,
            cpuB: b.cpuMicrosPerRequest,
            addedCpu: a.cpuMicrosPerRequest - b.cpuMicrosPerRequest,
          }
        : {}),
    });
    const comparisons: Comparison[] = ROUTES.flatMap((route) => [
      ...COUNTS.map((count) =>
        compare(
          route,
          `combined (${plural(count, "thread")}) ÷ sync-api (${plural(count, "worker")})`,
          find("pool", route, count),
          find("cluster", route, count),
        ),
      ),
      compare(
        route,
        "combined (1 thread) ÷ combined inline: the pool's hop",
        find("pool", route, 1),
        find("inline", route, 1),
      ),
    ]);

    const us = (value: number | undefined) => (value === undefined ? "–" : fmt.us(value));
    const measurements: Measurement[] = [
      ...measured.flatMap(({ item, summary }) => [
        { label: item.label, metric: "requests per second", unit: "req/s", value: summary.requestsPerSecond },
        { label: item.label, metric: "p50 latency", unit: "ms", value: summary.p50 },
        { label: item.label, metric: "p99 latency", unit: "ms", value: summary.p99 },
        ...(summary.cpuMicrosPerRequest === undefined
          ? []
          : [{ label: item.label, metric: "server CPU per request", unit: "µs", value: summary.cpuMicrosPerRequest }]),
      ]),
      ...comparisons.map(({ route, label, ratio }) => ({
        label: `${route}: ${label}`,
        metric: "throughput ratio",
        unit: "×",
        value: ratio,
      })),
    ];
    return {
      method: [
        `autocannon, ${CONNECTIONS} connections, ${context.plan.seconds} s per measurement × ${context.plan.rounds} round(s), interleaved;`,
        "the median of the rounds. Production builds, logs at `warn`, each with a database of its own.",
        "The examples' note route reads one note there.", // #example
        `sync-api with ${COUNTS.join(" and ")} cluster workers (Express, each worker a process) against combined mode`,
        "with as many pool threads (Fastify with the async side's contract layer on the event loop, the handler",
        "on a worker thread: the request's validated parts cross to the thread and the answer crosses back), and",
        "combined mode with its handlers inline on the event loop (`COMBINED__SYNC_HANDLERS=inline`): the same",
        "server without the pool, so that the last comparison of each route is the hop to a thread alone. The",
        "handlers are sync-api's, unchanged, in every case. **Server CPU per request**: the CPU time (user + system,",
        "from /proc) the server's process tree used during the measurement, all its threads and (sync-api) its",
        "supervisor and workers included, divided by the 2xx answers it gave; the **added** cost is the",
        "difference between the two rows compared, in microseconds of CPU per request. It counts the work a request",
        "costs whichever core does it, where 1 ÷ throughput would also count waiting: combined with 1 thread keeps",
        "two threads busy (event loop and pool thread) where sync-api with 1 worker keeps one process busy.",
        "The throughput ratio divides the first row's requests per second by the second's.",
      ].join("\n"),
      tables: [
        {
          columns: ["target", "req/s", "p50", "p99", "server CPU per request", "req/s per round"],
          rows: measured.map(({ item, summary }) => [
            item.label,
            fmt.count(summary.requestsPerSecond),
            fmt.ms(summary.p50),
            fmt.ms(summary.p99),
            us(summary.cpuMicrosPerRequest),
            summary.rounds.map(fmt.count).join(", "),
          ]),
        },
        {
          caption: "Comparisons (throughput ratio: 1.00× = as fast; CPU per request of each, and the difference)",
          columns: ["route", "comparison", "throughput ratio", "CPU per request", "added CPU per request"],
          rows: comparisons.map(({ route, label, ratio, cpuA, cpuB, addedCpu }) => [
            route,
            label,
            fmt.ratio(ratio),
            `${us(cpuA)} vs ${us(cpuB)}`,
            addedCpu === undefined ? "–" : fmt.deltaUs(addedCpu),
          ]),
        },
      ],
      chart: requestsPerSecondChart(
        `Sync routes: requests per second, ${CONNECTIONS} connections (median of ${context.plan.rounds})`,
        measured.map(({ item, summary }) => ({ label: item.who, group: ROUTE_LABELS[item.route], summary })),
      ),
      measurements,
      details: {
        connections: CONNECTIONS,
        counts: COUNTS,
        targets: Object.fromEntries(measured.map(({ item, summary }) => [item.label, summary])),
        comparisons,
      },
    };
  },
};
