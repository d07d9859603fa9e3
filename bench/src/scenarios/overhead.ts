/**
 * What the starter costs per request: each app against the bare framework it is built on and
 * against node:http, with its request log on and off; and the examples' contract-validated routes
 * against the same routes written by hand.
 */
import { join } from "node:path"; // #example
import { fmt } from "../lib/format.ts";
import { type LoadItem, type LoadSummary, measureLoads, requestsPerSecondChart } from "../lib/measure.ts";
import { createNote, newNoteRequest } from "../lib/notes.ts"; // #example
import type { Measurement, Scenario } from "../lib/scenario.ts";
import {
  hasMetrics,
  hasTracing,
  ready,
  type Service,
  startAsyncApi,
  startSyncApi,
  startTarget,
} from "../lib/services.ts";

const CONNECTIONS = 50;

type Key =
  | "node"
  | "express"
  | "syncOn"
  | "syncOff"
  | "syncNoWatchdog"
  | "syncNoMetrics"
  | "fastify"
  | "asyncProduction"
  | "asyncNoMetrics"
  | "asyncTracing"
  | "asyncOn"
  | "asyncOff"
  | "asyncNoGuard"
  | "getApp" // #example
  | "getAppLogsOn" // #example
  | "getTwin" // #example
  | "postApp" // #example
  | "postTwin"; // #example

interface Item extends LoadItem {
  readonly key: Key;
  readonly group: string;
}

/** The ratios the report prints: numerator, denominator, what it says. */
const RATIOS: readonly [Key, Key, string][] = [
  ["syncOn", "express", "sync-api /healthz ÷ bare Express, logs on"],
  ["syncOff", "express", "sync-api /healthz ÷ bare Express, logs off"],
  ["syncNoWatchdog", "syncOff", "sync-api without ÷ with its worker-timeout watchdog, logs off"],
  ["syncOff", "syncNoMetrics", "sync-api metrics on ÷ off, logs off"],
  ["asyncProduction", "fastify", "async-api /async/healthz ÷ bare Fastify, production defaults"],
  ["asyncProduction", "asyncNoMetrics", "async-api metrics on ÷ off, production defaults"],
  ["asyncTracing", "asyncProduction", "async-api tracing on ÷ off, production defaults"],
  ["asyncOn", "fastify", "async-api /async/healthz ÷ bare Fastify, logs on"],
  ["asyncOff", "fastify", "async-api /async/healthz ÷ bare Fastify, logs off"],
  ["asyncNoGuard", "asyncOff", "async-api without ÷ with its event-loop guard, logs off"],
  ["getApp", "getTwin", "sync-api GET /notes/:id ÷ hand-written twin, logs off"], // #example
  ["getAppLogsOn", "getTwin", "sync-api GET /notes/:id ÷ hand-written twin, logs on"], // #example
  ["postApp", "postTwin", "sync-api POST /notes ÷ hand-written twin, logs off"], // #example
  ["express", "node", "bare Express ÷ node:http"],
  ["fastify", "node", "bare Fastify ÷ node:http"],
];

export const overhead: Scenario = {
  name: "overhead",
  title: "Per-request overhead",
  async run(context) {
    const database = join(context.workDir, "notes.sqlite"); // #example
    // "Logs on" runs at debug: the health probes log their request line at debug (so that probes
    // do not fill a production log), and the point of the row is what one line per request costs.
    const [node, express, fastify, syncOn, syncOff, syncNoWatchdog] = await Promise.all([
      startTarget(context, "node-http"),
      startTarget(context, "express-hello"),
      startTarget(context, "fastify-hello"),
      startSyncApi(context, { name: "sync-api-logs-on", workers: 1, logLevel: "debug" }),
      startSyncApi(context, {
        name: "sync-api-logs-off",
        workers: 1,
        logLevel: "warn",
        database, // #example: the twin reads the same file
      }),
      startSyncApi(context, {
        name: "sync-api-no-watchdog",
        workers: 1,
        logLevel: "warn",
        env: { SYNC_API_CLUSTER__WORKER_TIMEOUT_MS: "0" },
      }),
    ]);
    // Both async-apis call the sync-api whose log is off, so no call of theirs adds a log line to
    // the instance whose lines are counted.
    const [asyncOn, asyncOff, asyncNoGuard] = await Promise.all([
      startAsyncApi(context, { name: "async-api-logs-on", logLevel: "debug", syncApi: syncOff }),
      startAsyncApi(context, { name: "async-api-logs-off", logLevel: "warn", syncApi: syncOff }),
      startAsyncApi(context, {
        name: "async-api-no-guard",
        logLevel: "warn",
        syncApi: syncOff,
        env: { ASYNC_API_EVENT_LOOP__BLOCK_WARN_MS: "0" },
      }),
    ]);
    // Metrics are on in every app above (production's default); these price them, and tracing.
    const metrics = hasMetrics(context);
    const tracing = hasTracing(context);
    const [syncNoMetrics, asyncProduction, asyncNoMetrics, asyncTracing] = await Promise.all([
      metrics
        ? startSyncApi(context, {
            name: "sync-api-no-metrics",
            workers: 1,
            logLevel: "warn",
            env: { SYNC_API_METRICS__PORT: "0" },
          })
        : undefined,
      startAsyncApi(context, { name: "async-api-production", logLevel: "info", syncApi: syncOff }),
      metrics
        ? startAsyncApi(context, {
            name: "async-api-no-metrics",
            logLevel: "info",
            syncApi: syncOff,
            env: { ASYNC_API_METRICS__PORT: "0" },
          })
        : undefined,
      // Every request traced and its spans dropped (no exporter): the instrumentation's own price.
      tracing
        ? startAsyncApi(context, {
            name: "async-api-tracing",
            logLevel: "info",
            syncApi: syncOff,
            env: {
              ASYNC_API_TRACING__ENABLED: "true",
              OTEL_TRACES_EXPORTER: "none",
              OTEL_METRICS_EXPORTER: "none",
              OTEL_LOGS_EXPORTER: "none",
            },
          })
        : undefined,
    ]);
    const optional = [syncNoMetrics, asyncNoMetrics, asyncTracing].filter((s): s is Service => s !== undefined);
    await ready(
      node,
      express,
      fastify,
      syncOn,
      syncOff,
      syncNoWatchdog,
      asyncOn,
      asyncOff,
      asyncNoGuard,
      asyncProduction,
      ...optional,
    );
    // #region example
    // The twin opens the database sync-api's migrations created, and reads the same note.
    const twin = await startTarget(context, "express-notes", { BENCH_DATABASE: database });
    await ready(twin);
    const id = await createNote(syncOff.origin);
    const idLogsOn = await createNote(syncOn.origin);
    for (const url of [
      `${syncOff.origin}/notes/${id}`,
      `${twin.origin}/notes/${id}`,
      `${syncOn.origin}/notes/${idLogsOn}`,
    ]) {
      const response = await fetch(url);
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    }
    // #endregion example

    const get = (url: string) => ({ url, connections: CONNECTIONS });
    const post = (url: string) => ({ url, connections: CONNECTIONS, ...newNoteRequest }); // #example
    const hello = "hello JSON";
    const contract = "contract-validated routes (sync-api, 1 worker)"; // #example
    // An app's rows count the lines its log file gains.
    const app = (key: Key, group: string, label: string, service: Service, url: string): Item => ({
      key,
      group,
      label,
      load: get(url),
      logFile: service.process.logFile,
      cpuPid: service.process.pid,
    });
    // A bare target's rows: its CPU per answer too.
    const bare = (key: Key, group: string, label: string, service: Service, url: string): Item => ({
      key,
      group,
      label,
      load: get(url),
      cpuPid: service.process.pid,
    });
    const items: Item[] = [
      bare("node", hello, "node:http (ceiling)", node, `${node.origin}/healthz`),
      bare("express", hello, "bare Express 5", express, `${express.origin}/healthz`),
      app("syncOn", hello, "sync-api /healthz, logs on", syncOn, syncOn.health),
      app("syncOff", hello, "sync-api /healthz, logs off", syncOff, syncOff.health),
      ...(syncNoMetrics
        ? [app("syncNoMetrics", hello, "sync-api /healthz, logs off, metrics off", syncNoMetrics, syncNoMetrics.health)]
        : []),
      app(
        "syncNoWatchdog",
        hello,
        "sync-api /healthz, logs off, worker timeout off",
        syncNoWatchdog,
        syncNoWatchdog.health,
      ),
      bare("fastify", hello, "bare Fastify 5", fastify, fastify.health),
      app(
        "asyncProduction",
        hello,
        "async-api /async/healthz, production defaults",
        asyncProduction,
        asyncProduction.health,
      ),
      ...(asyncNoMetrics
        ? [app("asyncNoMetrics", hello, "async-api /async/healthz, metrics off", asyncNoMetrics, asyncNoMetrics.health)]
        : []),
      ...(asyncTracing
        ? [app("asyncTracing", hello, "async-api /async/healthz, tracing on", asyncTracing, asyncTracing.health)]
        : []),
      app("asyncOn", hello, "async-api /async/healthz, logs on", asyncOn, asyncOn.health),
      app("asyncOff", hello, "async-api /async/healthz, logs off", asyncOff, asyncOff.health),
      app(
        "asyncNoGuard",
        hello,
        "async-api /async/healthz, logs off, event-loop guard off",
        asyncNoGuard,
        asyncNoGuard.health,
      ),
      // #region example
      app("getAppLogsOn", contract, "sync-api GET /notes/:id, logs on", syncOn, `${syncOn.origin}/notes/${idLogsOn}`),
      app("getApp", contract, "sync-api GET /notes/:id, logs off", syncOff, `${syncOff.origin}/notes/${id}`),
      bare("getTwin", contract, "hand-written GET /notes/:id", twin, `${twin.origin}/notes/${id}`),
      {
        ...app("postApp", contract, "sync-api POST /notes, logs off", syncOff, `${syncOff.origin}/notes`),
        load: post(`${syncOff.origin}/notes`),
      },
      { ...bare("postTwin", contract, "hand-written POST /notes", twin, ""), load: post(`${twin.origin}/notes`) },
      // #endregion example
    ];
    const measured = await measureLoads(context, items);
    const by = new Map<Key, LoadSummary>(measured.map(({ item, summary }) => [item.key, summary]));
    const rps = (key: Key) => by.get(key)?.requestsPerSecond ?? Number.NaN;
    const cpu = (key: Key) => by.get(key)?.cpuMicrosPerRequest ?? Number.NaN;
    const ceiling = rps("node");
    // A ratio whose targets the measured checkout lacks (an older commit: no metrics) is left out.
    const ratios = RATIOS.filter(([a, b]) => by.has(a) && by.has(b)).map(([a, b, label]) => ({
      label,
      ratio: rps(a) / rps(b),
      cpuRatio: cpu(a) / cpu(b),
    }));

    const measurements: Measurement[] = [
      ...measured.flatMap(({ item, summary }) => [
        { label: item.label, metric: "requests per second", unit: "req/s", value: summary.requestsPerSecond },
        { label: item.label, metric: "p50 latency", unit: "ms", value: summary.p50 },
        { label: item.label, metric: "p99 latency", unit: "ms", value: summary.p99 },
        ...(summary.cpuMicrosPerRequest === undefined
          ? []
          : [{ label: item.label, metric: "CPU per request", unit: "µs", value: summary.cpuMicrosPerRequest }]),
      ]),
      ...ratios.flatMap(({ label, ratio, cpuRatio }) => [
        { label, metric: "throughput ratio", unit: "×", value: ratio },
        { label, metric: "CPU per request ratio", unit: "×", value: cpuRatio },
      ]),
    ];
    // The sanity check of "logs on": about one line per request, or the row measures nothing.
    const remarks = measured
      .filter(({ item, summary }) => item.label.endsWith("logs on") && (summary.logLinesPerRequest ?? 0) < 0.5)
      .map(
        ({ item, summary }) =>
          `${item.label}: only ${summary.logLinesPerRequest?.toFixed(2)} log lines per request, so its "logs on" and "logs off" rows measure the same thing.`,
      );
    return {
      method: [
        `autocannon, ${CONNECTIONS} connections, ${context.plan.seconds} s per measurement × ${context.plan.rounds} round(s), interleaved`,
        "(round 1 of every target, then round 2 …); the median of the rounds. Every target is its own process:",
        "node:http, bare Express 5 and bare Fastify 5 (logger off) answering hello JSON (`bench/src/targets/`);",
        "sync-api with 1 worker and async-api, production builds with production settings, their request log",
        "line on and off. On means `LOG__LEVEL=debug`: production's `info` logs every request but the health",
        "probes, which log at debug so they do not fill the log; at debug the probes too write their one line.",
        "Off means `warn`. One sync-api runs without its worker-timeout watchdog (`CLUSTER__WORKER_TIMEOUT_MS=0`),",
        "to price the watchdog, and one async-api without its event-loop guard (`EVENT_LOOP__BLOCK_WARN_MS=0`:",
        "no timing of each handler's synchronous stretch), to price the guard. Metrics are on in every app, as",
        "in production (each on a free `METRICS__PORT`); one sync-api and one async-api run with them off, to",
        'price them. "Production defaults" is async-api at `info` (the probe logs no line) with metrics on; its',
        '"tracing on" twin traces every request (`TRACING__ENABLED=true`) and drops the spans',
        "(`OTEL_TRACES_EXPORTER=none`): the instrumentation's own price.",
        // #region example
        "The contract-validated note routes run on the sync-api whose log is off (`GET` also on the one whose",
        "log is on), against a hand-written Express twin that validates with the contract's own zod schemas and",
        "does the same SQLite work on the same database file.",
        // #endregion example
        "Each app's log goes to a file, and the lines it gained per answer are counted (about 1.00 when every",
        "request logs its line). CPU per request is the CPU time the target's process tree spent (from /proc)",
        "divided by the answers it gave, the median of the rounds: on a machine with as many cores as the",
        "load generator and the target share, it is the fairer figure of what a request costs the server.",
      ].join("\n"),
      tables: [
        {
          columns: [
            "target",
            "req/s",
            "× node:http",
            "CPU / request",
            "p50",
            "p99",
            "log lines / request",
            "req/s per round",
          ],
          rows: measured.map(({ item, summary }) => [
            item.label,
            fmt.count(summary.requestsPerSecond),
            fmt.ratio(summary.requestsPerSecond / ceiling),
            fmt.us(summary.cpuMicrosPerRequest ?? Number.NaN),
            fmt.ms(summary.p50),
            fmt.ms(summary.p99),
            summary.logLinesPerRequest === undefined ? "" : summary.logLinesPerRequest.toFixed(2),
            summary.rounds.map(fmt.count).join(", "),
          ]),
        },
        {
          caption: "Ratios (throughput: 1.00× = as fast; CPU per request: 1.00× = as cheap, above costs more)",
          columns: ["comparison", "throughput", "CPU per request"],
          rows: ratios.map(({ label, ratio, cpuRatio }) => [label, fmt.ratio(ratio), fmt.ratio(cpuRatio)]),
        },
      ],
      chart: requestsPerSecondChart(
        `Requests per second, ${CONNECTIONS} connections (median of ${context.plan.rounds})`,
        measured.map(({ item, summary }) => ({ label: item.label, group: item.group, summary })),
      ),
      remarks,
      measurements,
      details: {
        connections: CONNECTIONS,
        targets: Object.fromEntries(measured.map(({ item, summary }) => [item.key, { label: item.label, ...summary }])),
        ratios,
      },
    };
  },
};
