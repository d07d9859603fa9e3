/**
 * The sync route tables. `main` is the app; the `routeTable` setting picks the table to serve,
 * the way Django's ROOT_URLCONF does, so a test can start the app with another one. A table is
 * built per worker from what its handlers need (the worker's database connection, settings).
 */
import { type AssertServes, api, type ServesExactly, servesExactly } from "@repo/contracts";
import type { Database } from "../db/database.ts";
import type { SyncRoute } from "../http/route.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { SyncApiSettings } from "../settings/index.ts";
import { computeRoutes } from "./compute.ts";
import { healthRoutes } from "./health.ts";
import { notesRoutes } from "./notes.ts"; // #example
import { testingRoutes } from "./testing.ts";

/** What the handlers of a table are built with. */
export interface RouteDependencies {
  readonly settings: SyncApiSettings;
  /** This host's connection to the database (src/db/): for the tables of the app's resources. */
  readonly db: Database;
  readonly lifecycle: Lifecycle;
}

/**
 * Every controller sync-api serves, in the order they are mounted: exactly `api.sync`. A controller
 * left out (or one api does not declare) is a compile error naming it (below), and an error at
 * start-up for what slips past the compiler.
 */
export function mainRoutes(dependencies: RouteDependencies) {
  return servesExactly("sync-api", api.sync, [
    healthRoutes(dependencies.lifecycle),
    // #region example
    notesRoutes({
      db: dependencies.db,
      secretKey: dependencies.settings.secretKey,
      outbox: dependencies.settings.noteEvents,
    }),
    // #endregion example
    computeRoutes(dependencies.settings.compute),
  ]);
}

/** The compiler's check of `mainRoutes` against `api.sync`. */
export type MainRoutesServeApi = AssertServes<
  ServesExactly<"sync-api", typeof api.sync, ReturnType<typeof mainRoutes>>
>;

export const routeTables = {
  main: mainRoutes,
  test: (dependencies: RouteDependencies) => [...mainRoutes(dependencies), testingRoutes],
} satisfies Record<SyncApiSettings["routeTable"], (dependencies: RouteDependencies) => readonly SyncRoute[]>;
