/**
 * Combined mode: the whole API in one process, on one port. async-api's server runs
 * its own controllers on its event loop, as in split mode; sync-api's controllers are mounted at
 * the root and their handlers run on a pool of worker threads (`combined.*` settings), each thread
 * with its own database connection. The analogue of Django under ASGI with its thread pool:
 * simpler to run than two apps behind a proxy, at the cost `pnpm bench` measures.
 *
 * Settings: the server's from async-api's stack (`ASYNC_API_*`), the sync handlers' own (database,
 * secret key, route table) from sync-api's (`SYNC_API_*`).
 */
import { runAsyncServer } from "@repo/async-api/server";
import { asyncApiSettings } from "@repo/async-api/settings";
import { openApiDocument } from "@repo/contracts";
import type { Registry } from "@repo/metrics";
import { isPostgresUrl, loadOrExit } from "@repo/shared-settings";
import { databaseWhere, openSyncRouteTable, prepareDatabase } from "@repo/sync-api/host";
import { syncApiSettings } from "@repo/sync-api/settings";
import { feedReader } from "./examples.ts"; // #example
import { DatabaseBridge } from "./pool/database-bridge.ts";
import { SyncPool } from "./pool/sync-pool.ts";
import { handlerKey } from "./pool/task.ts";
import { syncEndpoints, syncHalf } from "./sync-half.ts";

const loaded = loadOrExit(asyncApiSettings);
const syncSettings = loadOrExit(syncApiSettings);
const { combined } = loaded;

// The sync routes are served here: the upstream `/async/status` asks for sync-api's readiness is
// this process.
const SYNC_API_UPSTREAM = "sync-api";
const self = `http://${loaded.host === "0.0.0.0" || loaded.host === "::" ? "127.0.0.1" : loaded.host}:${combined.port}`;
const settings = {
  ...loaded,
  upstreams: Object.fromEntries(
    Object.entries(loaded.upstreams).map(([name, upstream]) => [
      name,
      name === SYNC_API_UPSTREAM ? { ...upstream, url: self } : upstream,
    ]),
  ),
  // #region example
  // On PostgreSQL the relay LISTENs on sync-api's own database, unless told another URL.
  noteEvents: {
    ...loaded.noteEvents,
    listenUrl:
      loaded.noteEvents.listenUrl || (isPostgresUrl(syncSettings.database.url) ? syncSettings.database.url : ""),
  },
  // #endregion example
};

function fail(message: string, error: unknown): never {
  process.stderr.write(`combined: ${message}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

// Migrations run here, once, before any thread starts (on PostgreSQL through pg-native, on this
// thread only).
try {
  prepareDatabase(syncSettings);
} catch (error) {
  fail(`cannot open or migrate the database at ${databaseWhere(syncSettings.database)}`, error);
}

// The route table as the threads will build it: its contracts are mounted here. Inline (the
// benchmark's monolith) its handlers run here too, on the event loop.
const lifecycle = { draining: false };
const table = openSyncRouteTable(syncSettings, lifecycle);
// On PostgreSQL the threads reach the server through this thread's bridge: pg-native, the
// synchronous driver, loads in one thread of a process only (node-libpq#79). One thread or many,
// one code path.
const bridge =
  combined.syncHandlers === "pool" && isPostgresUrl(syncSettings.database.url)
    ? new DatabaseBridge(syncSettings.database, combined.threads)
    : undefined;
const pool = combined.syncHandlers === "pool" ? new SyncPool(combined, bridge) : undefined;
if (pool) {
  table.close();
  const expected = table.routes.flatMap(({ controller }) =>
    Object.keys(controller.endpoints).map((name) => handlerKey(controller.name, name)),
  );
  await pool.start(expected).catch((error: unknown) => fail("the sync thread pool cannot start", error));
}

await runAsyncServer(settings, {
  name: "combined",
  listen: { host: settings.host, port: combined.port, portVariable: asyncApiSettings.variable(["combined", "port"]) },
  root: syncHalf(syncEndpoints(table.routes, pool), openApiDocument({ asyncPrefix: settings.asyncPrefix }), settings, {
    welcome: syncSettings.welcomePage, // #example
    apiReference: syncSettings.apiReference,
    // The sync routes' limits are sync-api's settings (SYNC_API_RATE_LIMIT__*), as in split mode.
    rateLimit: syncSettings.rateLimit,
  }),
  readinessPaths: ["/readyz"],
  noteEventsFeed: feedReader(table.routes, pool), // #example
  ...(pool ? { registerMetrics: (registry: Registry) => pool.registerMetrics(registry) } : {}),
  onDrain: () => {
    lifecycle.draining = true;
    pool?.drain();
  },
  onDrained: async () => {
    await pool?.close();
    await bridge?.close();
    if (!pool) table.close();
  },
});
