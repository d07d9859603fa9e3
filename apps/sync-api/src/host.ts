/**
 * What every host of sync-api's handlers needs, whatever runs them: a cluster worker
 * (cluster/worker.ts), a thread of combined mode's pool, or the benchmark's inline monolith. The
 * handlers are the same in each; only the host around them changes.
 */

import type { Database } from "./db/database.ts";
import { openDatabase } from "./db/open.ts";
import type { SyncRoute } from "./http/route.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { routeTables } from "./routes/index.ts";
import type { SyncApiSettings } from "./settings/index.ts";

export {
  type Database,
  databaseUnavailable,
  type Param,
  type Row,
} from "./db/database.ts";
export { type DatabaseSettings, databaseWhere, openDatabase } from "./db/open.ts";
export {
  connectionString,
  isUnavailableState,
  type TypeParsers,
  textParams,
  withBigintAsNumber,
} from "./db/postgres.ts";
export { prepareDatabase } from "./db/prepare.ts";
export type { SyncRoute } from "./http/route.ts";
export type { Lifecycle } from "./lifecycle.ts";

/** The route table the `routeTable` setting names, with this host's own resources. */
export interface SyncRouteTable {
  readonly routes: readonly SyncRoute[];
  /** This host's connection (the rate limits count on it too, on PostgreSQL). */
  readonly db: Database;
  /** Releases the host's resources (its database connection). */
  close(): void;
}

/**
 * Opens this host's resources and builds the route table on them. Each host has its own
 * connection: both drivers are synchronous, one connection per process or thread. A host that
 * reaches the database another way gives its own `db` (combined mode's threads on PostgreSQL:
 * its database bridge).
 */
export function openSyncRouteTable(
  settings: SyncApiSettings,
  lifecycle: Lifecycle,
  db: Database = openDatabase(settings.database),
): SyncRouteTable {
  const routes = routeTables[settings.routeTable]({ settings, db, lifecycle });
  return { routes, db, close: () => db.close() };
}
