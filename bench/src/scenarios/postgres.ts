/**
 * The notes routes on PostgreSQL beside SQLite (the same sync-api, the same load, the same worker
 * count), and sync-api's synchronous driver (pg-native: libpq's blocking calls, one connection per
 * worker) against a hand-written async twin on node-postgres (`pg`, a pool in one process), on the
 * same database. Throughput, latency, and the CPU each answer costs the app and the database
 * server, so that a process that waits and one that overlaps its waits compare per core as well as
 * per process.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fmt } from "../lib/format.ts";
import { type LoadItem, type LoadSummary, measureLoads, requestsPerSecondChart } from "../lib/measure.ts";
import { createNote, newNoteRequest } from "../lib/notes.ts";
import type { Measurement, Scenario } from "../lib/scenario.ts";
import {
  hasCombined,
  postgresAbsent,
  ready,
  type Service,
  startCombined,
  startPostgresServer,
  startSyncApi,
  startTarget,
} from "../lib/services.ts";

const CONNECTIONS = 50;
/** The async twin's pool: pg's default size. */
const POOL_SIZE = 10;

type Database = "sqlite" | "postgres";
type Route = "get" | "post";
/**
 * Who answers: sync-api with a worker count, combined mode with a thread count (on PostgreSQL its
 * threads go through the database bridge: node-postgres on the main thread), or a hand-written twin
 * (one process).
 */
type Runner =
  | { readonly kind: "sync-api"; readonly workers: number }
  | { readonly kind: "combined"; readonly threads: number }
  | { readonly kind: "twin" };

interface Target {
  readonly database: Database;
  readonly runner: Runner;
  readonly label: string;
  readonly service: Service;
}

interface Item extends LoadItem {
  readonly target: Target;
  readonly route: Route;
}

const ROUTE_LABELS: Record<Route, string> = { get: "GET /notes/:id", post: "POST /notes" };
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** CPU microseconds per answer, app and database server together; undefined without a reading. */
const totalCpu = (s: LoadSummary, database: Database) =>
  s.cpuMicrosPerRequest === undefined
    ? undefined
    : database === "postgres"
      ? s.databaseCpuMicrosPerRequest === undefined
        ? undefined
        : s.cpuMicrosPerRequest + s.databaseCpuMicrosPerRequest
      : s.cpuMicrosPerRequest;

/** Answers per second of CPU (app and database): what one core would serve if nothing waited. */
const perCore = (s: LoadSummary, database: Database) => {
  const cpu = totalCpu(s, database);
  return cpu === undefined ? undefined : 1e6 / cpu;
};

interface Comparison {
  readonly route: Route;
  readonly label: string;
  readonly ratio: number;
  /** The same ratio of answers per CPU-second; undefined off Linux. */
  readonly perCoreRatio?: number;
}

export const postgres: Scenario = {
  name: "postgres",
  title: "The notes routes on PostgreSQL beside SQLite, and the sync driver against an async twin",
  async run(context) {
    const remarks: string[] = [];
    const absent = postgresAbsent(context);
    if (absent && process.env.CI) throw new Error(`${absent} (required under CI)`);
    if (absent) {
      remarks.push(`PostgreSQL's rows are missing: ${absent}.`);
      context.log(`  no PostgreSQL: ${absent}; measuring SQLite only`);
    }
    // More workers than one only in a full run: the quick run proves the same code paths with one.
    const cores = availableParallelism();
    const workerCounts = context.quick || cores < 2 ? [1] : [1, cores];

    const TWIN_LABELS: Record<Database, string> = {
      sqlite: "hand-written Express, SQLite (node:sqlite, sync)",
      postgres: `hand-written Express, PostgreSQL (pg, async, pool of ${POOL_SIZE})`,
    };
    const syncApiLabel = (database: Database, workers: number) =>
      `sync-api, ${plural(workers, "worker")}, ${database === "sqlite" ? "SQLite" : "PostgreSQL (pg-native, sync)"}`;
    const combinedLabel = (database: Database, threads: number) =>
      `combined mode, ${plural(threads, "thread")}, ${database === "sqlite" ? "SQLite" : "PostgreSQL (the database bridge: pg on the main thread)"}`;

    const sqliteFile = join(context.workDir, "notes.sqlite");
    const twinOf = (database: Database, url: string) =>
      startTarget(context, database === "sqlite" ? "express-notes" : "express-notes-pg", {
        BENCH_DATABASE: url,
        BENCH_POOL_SIZE: String(POOL_SIZE),
      });
    const start = (database: Database, url: string, workers: number) =>
      startSyncApi(context, { name: `sync-api-${database}-${workers}w`, workers, logLevel: "warn", database: url });

    /**
     * A database's first sync-api (its migrations make the tables) and its twin, ready. The SQLite
     * twin prepares its statements at start, so it starts once the tables are there; pg's connects
     * at its first query, so it starts at once.
     */
    const side = async (database: Database, url: string): Promise<Target[]> => {
      const app = await start(database, url, 1);
      const early = database === "postgres" ? await twinOf(database, url) : undefined;
      await ready(app);
      const twin = early ?? (await twinOf(database, url));
      return [
        { database, runner: { kind: "sync-api", workers: 1 }, label: syncApiLabel(database, 1), service: app },
        { database, runner: { kind: "twin" }, label: TWIN_LABELS[database], service: twin },
      ];
    };
    // One database each, shared by everything on it; the two made ready side by side.
    const [onSqlite, onPostgres] = await Promise.all([
      side("sqlite", sqliteFile),
      absent
        ? undefined
        : startPostgresServer(context).then(async (server) => ({
            server,
            targets: await side("postgres", server.url),
          })),
    ]);
    const urls: [Database, string][] = [
      ["sqlite", sqliteFile],
      ...(onPostgres ? [["postgres", onPostgres.server.url] as [Database, string]] : []),
    ];
    const databases = urls.map(([database]) => database);
    // More workers on the migrated databases.
    const several = await Promise.all(
      urls.flatMap(([database, url]) =>
        workerCounts
          .filter((n) => n > 1)
          .map(
            async (workers): Promise<Target> => ({
              database,
              runner: { kind: "sync-api", workers },
              label: syncApiLabel(database, workers),
              service: await start(database, url, workers),
            }),
          ),
      ),
    );
    // Combined mode with as many threads as sync-api's most workers, on each migrated database.
    const threads = Math.max(...workerCounts);
    const combined = hasCombined(context)
      ? await Promise.all(
          urls.map(
            async ([database, url]): Promise<Target> => ({
              database,
              runner: { kind: "combined", threads },
              label: combinedLabel(database, threads),
              service: await startCombined(context, {
                name: `combined-${database}`,
                threads,
                logLevel: "warn",
                database: url,
              }),
            }),
          ),
        )
      : [];
    const targets: Target[] = [...onSqlite, ...(onPostgres?.targets ?? []), ...several, ...combined];
    await ready(...targets.map((target) => target.service));

    // One note per database, read by every target on it; every target answers both routes first.
    const noteIds = new Map<Database, number>();
    for (const target of targets) {
      if (target.runner.kind === "sync-api" && !noteIds.has(target.database)) {
        noteIds.set(target.database, await createNote(target.service.origin));
      }
    }
    for (const target of targets) {
      const url = `${target.service.origin}/notes/${noteIds.get(target.database)}`;
      const response = await fetch(url);
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
      const created = await createNote(target.service.origin);
      if (!(created > 0)) throw new Error(`${target.service.origin}/notes created no note`);
    }

    const rank = (runner: Runner) =>
      runner.kind === "twin" ? 1 : runner.kind === "combined" ? 3 : runner.workers === 1 ? 0 : 2;
    const order = (t: Target) => rank(t.runner) * 2 + (t.database === "sqlite" ? 0 : 1);
    targets.sort((a, b) => order(a) - order(b));
    const items: Item[] = (["get", "post"] as const).flatMap((route) =>
      targets.map((target) => ({
        target,
        route,
        label: `${ROUTE_LABELS[route]}: ${target.label}`,
        load:
          route === "get"
            ? {
                url: `${target.service.origin}/notes/${noteIds.get(target.database)}`,
                connections: CONNECTIONS,
              }
            : { url: `${target.service.origin}/notes`, connections: CONNECTIONS, ...newNoteRequest },
        cpuPid: target.service.process.pid,
        ...(target.database === "postgres" && onPostgres ? { databasePid: onPostgres.server.pid } : {}),
      })),
    );
    const measured = await measureLoads(context, items);
    const find = (route: Route, database: Database, runner: Runner) =>
      measured.find(
        ({ item }) =>
          item.route === route &&
          item.target.database === database &&
          JSON.stringify(item.target.runner) === JSON.stringify(runner),
      );

    const comparisons: Comparison[] = [];
    const compare = (route: Route, label: string, a: [Database, Runner], b: [Database, Runner]) => {
      const x = find(route, ...a)?.summary;
      const y = find(route, ...b)?.summary;
      if (!x || !y) return;
      const coreX = perCore(x, a[0]);
      const coreY = perCore(y, b[0]);
      comparisons.push({
        route,
        label,
        ratio: x.requestsPerSecond / y.requestsPerSecond,
        ...(coreX === undefined || coreY === undefined ? {} : { perCoreRatio: coreX / coreY }),
      });
    };
    const twin: Runner = { kind: "twin" };
    const workers = (n: number): Runner => ({ kind: "sync-api", workers: n });
    for (const route of ["get", "post"] as const) {
      for (const n of workerCounts) {
        compare(
          route,
          `PostgreSQL ÷ SQLite, sync-api with ${plural(n, "worker")}`,
          ["postgres", workers(n)],
          ["sqlite", workers(n)],
        );
      }
      for (const n of workerCounts) {
        compare(
          route,
          `sync pg-native (sync-api, ${plural(n, "worker")}) ÷ async pg (hand-written, 1 process)`,
          ["postgres", workers(n)],
          ["postgres", twin],
        );
      }
      compare(
        route,
        "sync-api ÷ hand-written, both on SQLite: sync-api's layer alone",
        ["sqlite", workers(1)],
        ["sqlite", twin],
      );
      for (const database of databases) {
        compare(
          route,
          `combined mode (${plural(threads, "thread")}) ÷ sync-api (${plural(threads, "worker")}), both on ${database === "sqlite" ? "SQLite" : "PostgreSQL"}`,
          [database, { kind: "combined", threads }],
          [database, workers(threads)],
        );
      }
    }

    // What the figures say, in words: the two questions of the scenario, per route.
    for (const route of ["get", "post"] as const) {
      const onPg = comparisons.find((c) => c.route === route && c.label.startsWith("PostgreSQL ÷ SQLite"));
      const vsTwin = comparisons.find((c) => c.route === route && c.label.startsWith("sync pg-native (sync-api, 1 "));
      const layer = comparisons.find((c) => c.route === route && c.label.includes("layer alone"));
      const perCoreText = (c: Comparison) =>
        c.perCoreRatio === undefined ? "" : `, ${fmt.ratio(c.perCoreRatio)} per core of CPU used`;
      if (onPg) {
        remarks.push(
          `${ROUTE_LABELS[route]}: sync-api with 1 worker serves ${fmt.ratio(onPg.ratio)} as many requests per second on PostgreSQL as on SQLite${perCoreText(onPg)}.`,
        );
      }
      for (const viaPool of comparisons.filter((c) => c.route === route && c.label.startsWith("combined mode"))) {
        remarks.push(
          `${ROUTE_LABELS[route]}: ${viaPool.label}: ${fmt.ratio(viaPool.ratio)} of the requests per second${perCoreText(viaPool)}.`,
        );
      }
      if (vsTwin && layer) {
        remarks.push(
          `${ROUTE_LABELS[route]} on PostgreSQL: sync-api with 1 worker (pg-native, one connection) serves ${fmt.ratio(vsTwin.ratio)} of the async twin's requests per second${perCoreText(vsTwin)}. On SQLite, where both sides are synchronous, sync-api serves ${fmt.ratio(layer.ratio)} of its twin's (its own layer's price), so the drivers' models alone come to about ${fmt.ratio(vsTwin.ratio / layer.ratio)} (sync ÷ async).`,
        );
      }
    }
    // Writes that slow from round to round: on PostgreSQL a write's cost can grow with the dead rows
    // of note_events that autovacuum has not cleared yet (the store's prunes start where they last
    // ended, so they no longer walk them; say so if it shows again).
    for (const { item, summary } of measured) {
      const [firstRound = 0, ...later] = summary.rounds;
      const lastRound = later.at(-1);
      if (item.route !== "post" || item.target.database !== "postgres" || lastRound === undefined) continue;
      if (lastRound < 0.7 * firstRound) {
        remarks.push(
          `${item.label} slowed from round to round (${summary.rounds.map(fmt.count).join(", ")} req/s): PostgreSQL's cost per write grew within the run (note_events' dead rows before autovacuum clears them, or the machine).`,
        );
      }
    }

    const us = (value: number | undefined) => (value === undefined ? "–" : fmt.us(value));
    const measurements: Measurement[] = [
      ...measured.flatMap(({ item, summary }) => {
        const core = perCore(summary, item.target.database);
        return [
          { label: item.label, metric: "requests per second", unit: "req/s", value: summary.requestsPerSecond },
          { label: item.label, metric: "p50 latency", unit: "ms", value: summary.p50 },
          { label: item.label, metric: "p99 latency", unit: "ms", value: summary.p99 },
          ...(summary.cpuMicrosPerRequest === undefined
            ? []
            : [{ label: item.label, metric: "app CPU per request", unit: "µs", value: summary.cpuMicrosPerRequest }]),
          ...(summary.databaseCpuMicrosPerRequest === undefined
            ? []
            : [
                {
                  label: item.label,
                  metric: "PostgreSQL CPU per request",
                  unit: "µs",
                  value: summary.databaseCpuMicrosPerRequest,
                },
              ]),
          ...(core === undefined
            ? []
            : [{ label: item.label, metric: "requests per CPU-second", unit: "req/s per core", value: core }]),
        ];
      }),
      ...comparisons.flatMap(({ route, label, ratio, perCoreRatio }) => [
        { label: `${ROUTE_LABELS[route]}: ${label}`, metric: "throughput ratio", unit: "×", value: ratio },
        ...(perCoreRatio === undefined
          ? []
          : [{ label: `${ROUTE_LABELS[route]}: ${label}`, metric: "per-core ratio", unit: "×", value: perCoreRatio }]),
      ]),
    ];

    return {
      method: [
        `autocannon, ${CONNECTIONS} connections, ${context.plan.seconds} s per measurement × ${context.plan.rounds} round(s), interleaved;`,
        "the median of the rounds. The examples' note routes, `GET /notes/:id` (one row read) and `POST /notes`",
        "(a transaction: the note, its outbox event and the outbox's retention, under the outbox's advisory lock on",
        "PostgreSQL), on sync-api's production build, logs at `warn`, with the same worker count on each database:",
        "SQLite in the worker's own process (node:sqlite, a file in WAL mode, `synchronous=NORMAL`), and PostgreSQL",
        "over loopback (the throwaway server of @repo/testing, `fsync` and `synchronous_commit` off, so neither",
        "database waits for the disk at a commit) through pg-native: libpq's synchronous calls, one connection per",
        "worker, so a worker waits for each statement's round trip and serves one request at a time. Against it, the",
        "**async twin** (`bench/src/targets/express-notes-pg.ts`): the same two routes on bare Express 5 with the",
        `contract's zod schemas and node-postgres (\`pg\`) awaited on a pool of ${POOL_SIZE} connections (pg's default)`,
        "in one process, sending sync-api's SQL statement for statement (prepared), on the same database. A write",
        "holds the outbox's advisory lock from its first statement to its commit on both sides (sync-api's outbox",
        "order), so writes commit one at a time whatever the pool: the twin's connections queue on the lock. The",
        "hand-written SQLite twin of the overhead scenario runs too, so that sync-api's own layer (contract, logger,",
        "request ids, the token check on writes) is priced where both sides are synchronous, within the same rounds.",
        "**Fair comparison.** Per process: sync-api's rows with 1 worker are one serving process, as is each twin",
        "(the supervisor is counted, idle). Per core: the CPU time (user + system, from /proc) of the app's process",
        "tree and of the PostgreSQL server's (the postmaster and every connection's backend) during the measurement,",
        "divided by the 2xx answers: **req/s per core** is 1 ÷ that sum, the answers one core of CPU would give if",
        "nothing waited. A sync worker idles while PostgreSQL works, which throughput counts and CPU does not; the",
        "async twin overlaps those waits. On SQLite the database's work is inside the app's CPU. The load generator",
        "runs on the same cores and is counted in neither.",
        workerCounts.length > 1
          ? `sync-api also runs with ${cores} workers (this machine's cores): the synchronous model's way to overlap waits.`
          : "",
        `Combined mode runs with ${plural(threads, "thread")} on each database: on PostgreSQL its threads block on`,
        "`Atomics.wait` while the main thread runs each statement on node-postgres (libpq loads in one thread per",
        "process), so a statement costs a round trip between threads beside the server's; the comparison is with",
        "sync-api at the same count of workers.",
      ]
        .filter(Boolean)
        .join("\n"),
      tables: [
        {
          columns: [
            "target",
            "req/s",
            "p50",
            "p99",
            "app CPU / request",
            "PostgreSQL CPU / request",
            "req/s per core",
            "req/s per round",
          ],
          rows: measured.map(({ item, summary }) => {
            const core = perCore(summary, item.target.database);
            return [
              item.label,
              fmt.count(summary.requestsPerSecond),
              fmt.ms(summary.p50),
              fmt.ms(summary.p99),
              us(summary.cpuMicrosPerRequest),
              item.target.database === "postgres" ? us(summary.databaseCpuMicrosPerRequest) : "(in the app)",
              core === undefined ? "–" : fmt.count(core),
              summary.rounds.map(fmt.count).join(", "),
            ];
          }),
        },
        {
          caption: "Comparisons (1.00× = as fast; per core: answers per CPU-second of app and database)",
          columns: ["route", "comparison", "throughput ratio", "per-core ratio"],
          textColumns: 2,
          rows: comparisons.map(({ route, label, ratio, perCoreRatio }) => [
            ROUTE_LABELS[route],
            label,
            fmt.ratio(ratio),
            perCoreRatio === undefined ? "–" : fmt.ratio(perCoreRatio),
          ]),
        },
      ],
      chart: requestsPerSecondChart(
        `Note routes: requests per second, ${CONNECTIONS} connections (median of ${context.plan.rounds})`,
        measured.map(({ item, summary }) => ({ label: item.target.label, group: ROUTE_LABELS[item.route], summary })),
      ),
      remarks,
      measurements,
      details: {
        connections: CONNECTIONS,
        poolSize: POOL_SIZE,
        workerCounts,
        databases,
        targets: Object.fromEntries(measured.map(({ item, summary }) => [item.label, summary])),
        comparisons,
      },
    };
  },
};
