/**
 * sync-api's settings stack: the ordered list of layers (docs/settings.md). Later
 * layers win; the merged result is validated once by `syncApiSchema`. `pnpm settings sync-api`
 * prints every resolved value with the layer it came from.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { PRIMES_BELOW_CEILING, rateLimitRoutesCheck } from "@repo/contracts";
import {
  byEnvironment,
  defineSettings,
  dotenvFiles,
  envVars,
  jsonFile,
  layer,
  metricsSchema,
  rateLimitSchema,
  type Settings,
  secret,
  sharedLayers,
  sharedSchema,
  testRoutesOnlyUnderTest,
} from "@repo/shared-settings";
import { z } from "zod";
import { SYNCHRONOUS_MODES } from "../db/sqlite.ts";

/** The route tables sync-api can serve (src/routes/index.ts); the `routeTable` setting picks one. */
export const ROUTE_TABLES = ["main", "test"] as const;

export const syncApiSchema = sharedSchema.extend({
  metrics: metricsSchema.metrics.extend({
    /**
     * How long a scrape waits for each worker's numbers over the cluster's IPC channel. A worker
     * that has not answered by then (its event loop busy or stuck) is counted in
     * `sync_api_metrics_workers_unanswered`, and the scrape answers without it (its counters as
     * last received, so none goes backwards).
     */
    workerTimeoutMs: z.int().min(1),
  }),
  rateLimit: rateLimitSchema.rateLimit.extend({
    /**
     * The SQLite file of the counters every worker on this host shares (a file of its own, not
     * the database's: losing it loses nothing but counts). Compose puts it on the data volume.
     */
    path: z.string().min(1),
  }),
  /** Pre-forked worker processes, like gunicorn's `workers`. */
  workers: z.int().min(1).max(512),
  /** The process model, gunicorn's knobs: each one a setting with a default. */
  cluster: z.strictObject({
    /**
     * Who hands new connections to workers. `os` (gunicorn's model): every worker accepts on the
     * shared socket, so a worker stuck in a blocking handler takes no new connection and a killed
     * worker leaves none stranded. `round-robin`: the supervisor deals connections out in turn
     * (Node's default), which spreads load evenly but also queues them behind a busy worker.
     */
    scheduling: z.enum(["os", "round-robin"]),
    /**
     * gunicorn's `timeout`: a worker whose event loop has sent no heartbeat for this long is
     * killed and replaced (the log names the request it was serving). 0 turns it off.
     */
    workerTimeoutMs: z.int().min(0),
    /** gunicorn's `max_requests`: a worker is replaced after this many requests. 0 turns it off. */
    maxRequests: z.int().min(0),
    /** gunicorn's `max_requests_jitter`: up to this many more, at random, so workers do not all go at once. */
    maxRequestsJitter: z.int().min(0),
    /** PM2's exponential restart delay: a crashed worker is replaced after `initialMs`, doubling per crash up to `maxMs`, reset once a worker has run `resetAfterMs`. */
    restartBackoff: z.strictObject({
      initialMs: z.int().min(0),
      maxMs: z.int().min(0),
      resetAfterMs: z.int().min(0),
    }),
  }),
  /** Which route table to serve: Django's ROOT_URLCONF. `test` adds test-only routes. */
  routeTable: z.enum(ROUTE_TABLES),
  // #region example
  /**
   * The welcome page at `/` (src/http/welcome.ts): both runtimes live, for a developer's first
   * look. Off in production, where `/` is a 404 problem like any other unknown path.
   */
  welcomePage: z.boolean(),
  /**
   * The note-events outbox (the feed async-api relays) is pruned as events are written: the newest
   * `keepEvents` are kept, none older than `keepForMs` (0 turns either limit off). A stream resuming
   * from before what is kept gets a `resync` event (docs/runtimes.md).
   */
  noteEvents: z.strictObject({
    keepEvents: z.int().min(0),
    keepForMs: z.int().min(0),
  }),
  // #endregion example
  /**
   * The OpenAPI document at `/openapi.json` and the API reference page at `/docs`. Off in
   * production: a public API's description is published on purpose, not by default.
   */
  apiReference: z.boolean(),
  database: z.strictObject({
    /**
     * The database (src/db/): a PostgreSQL URL (`postgres://user:password@host:5432/name`), or
     * else the path of a SQLite file (the default; compose mounts a volume for it). Secret: a
     * URL carries the password (`SYNC_API_DATABASE__URL_FILE` reads it from a file).
     */
    url: secret(z.string().min(1)),
    /** SQLite: how long a write waits for another worker's write lock before it fails. */
    busyTimeoutMs: z.int().min(0),
    /**
     * SQLite's `synchronous` (src/db/sqlite.ts): NORMAL, or FULL (an fsync per commit) so that no
     * answered write is lost on power loss. FULL in production.
     */
    synchronous: z.enum(SYNCHRONOUS_MODES),
    /** PostgreSQL: how long connecting may take (libpq counts whole seconds, 2 at least). */
    connectTimeoutMs: z.int().min(1),
    /**
     * PostgreSQL: how long one statement may run (`statement_timeout`); a request that meets it
     * is a 503 problem. Well under `cluster.workerTimeoutMs`, so a query never gets a worker killed.
     */
    statementTimeoutMs: z.int().min(1),
  }),
  /** The CPU-bound example endpoint: its largest `below` (the contract's 20,000,000 at most). */
  compute: z.strictObject({ maxBelow: z.int().min(2).max(PRIMES_BELOW_CEILING) }),
});

/** This app's folder (src/settings/ and dist/settings/ are both two levels down). */
const appDir = new URL("../../", import.meta.url);

export const syncApiSettings = defineSettings({
  app: "sync-api",
  envPrefix: "SYNC_API_",
  schema: syncApiSchema,
  layers: [
    // 1. the shared components (server, logging, http, routing, security), 2. what NODE_ENV changes in them
    ...sharedLayers(),
    // 3. this app's own layer, and what NODE_ENV changes in it
    layer("sync-api", {
      port: 3001,
      // 9464, the OpenTelemetry Prometheus exporter's default port (async-api takes 9465).
      metrics: { port: 9464, workerTimeoutMs: 2_000 },
      workers: availableParallelism(),
      cluster: {
        scheduling: "os",
        workerTimeoutMs: 30_000,
        maxRequests: 0,
        maxRequestsJitter: 0,
        restartBackoff: { initialMs: 100, maxMs: 15_000, resetAfterMs: 30_000 },
      },
      routeTable: "main",
      // #region example
      welcomePage: true,
      noteEvents: { keepEvents: 10_000, keepForMs: 7 * 24 * 60 * 60 * 1000 },
      // #endregion example
      apiReference: true,
      database: {
        url: fileURLToPath(new URL("data/sync-api.sqlite", appDir)),
        busyTimeoutMs: 5_000,
        synchronous: "NORMAL",
        connectTimeoutMs: 2_000,
        statementTimeoutMs: 5_000,
      },
      rateLimit: { path: fileURLToPath(new URL("data/rate-limit.sqlite", appDir)) },
      // About 15 ms of CPU: one public request must not hold a worker for long (docs/deploy.md).
      compute: { maxBelow: 2_000_000 },
    }),
    byEnvironment("sync-api", {
      // One worker, as gunicorn's default: a save restarts the app, and one worker boots soonest
      // (`SYNC_API_WORKERS` to try more).
      development: { workers: 1 },
      // Metrics off under test, where many instances run at once: a test that wants them gives a free port.
      test: { routeTable: "test", metrics: { port: 0 } },
      // `pnpm start` on a laptop keeps its data apart from `pnpm dev`'s (compose sets its own path).
      production: {
        welcomePage: false, // #example
        apiReference: false,
        // A 201 must survive a power loss, at an fsync per commit (docs/deploy.md).
        database: { url: fileURLToPath(new URL("data/production/sync-api.sqlite", appDir)), synchronous: "FULL" },
        rateLimit: { path: fileURLToPath(new URL("data/production/rate-limit.sqlite", appDir)) },
      },
    }),
    // 4. the developer's own, git-ignored file (see settings.local.example.json)
    jsonFile(new URL("settings.local.json", appDir), { optional: true, name: "settings.local.json" }),
    // 5. .env files in this folder, then SYNC_API_* variables, last
    dotenvFiles(appDir),
    envVars(),
  ],
  checks: [testRoutesOnlyUnderTest, rateLimitRoutesCheck("sync")],
});

export type SyncApiSettings = Settings<typeof syncApiSchema>;
