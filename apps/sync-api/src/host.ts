/**
 * What every host of sync-api's handlers needs, whatever runs them: a cluster worker
 * (cluster/worker.ts), a thread of combined mode's pool, or the benchmark's inline monolith. The
 * handlers are the same in each; only the host around them changes.
 */

import type { SyncRoute } from "./http/route.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { routeTables } from "./routes/index.ts";
import type { SyncApiSettings } from "./settings/index.ts";
import { openDatabase } from "./sqlite.ts";

export { prepareDatabase } from "./database.ts";
export type { SyncRoute } from "./http/route.ts";
export type { Lifecycle } from "./lifecycle.ts";

/** The route table the `routeTable` setting names, with this host's own resources. */
export interface SyncRouteTable {
  readonly routes: readonly SyncRoute[];
  /** Releases the host's resources (its database connection). */
  close(): void;
}

/**
 * Opens this host's resources and builds the route table on them. Each host has its own
 * connection: node:sqlite's DatabaseSync is synchronous, one per process or thread.
 */
export function openSyncRouteTable(settings: SyncApiSettings, lifecycle: Lifecycle): SyncRouteTable {
  const db = openDatabase(settings.database.path, settings.database);
  const routes = routeTables[settings.routeTable]({ settings, db, lifecycle });
  return { routes, close: () => db.close() };
}
