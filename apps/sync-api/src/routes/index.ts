/**
 * The sync route tables. `main` is the app; the `routeTable` setting picks the table to serve,
 * the way Django's ROOT_URLCONF does, so a test can start the app with another one.
 */
import type { SyncRoute } from "../http/route.ts";
import type { SyncApiSettings } from "../settings/index.ts";
import { healthRoutes } from "./health.ts";
import { testingRoutes } from "./testing.ts";

/** Every controller sync-api serves, in the order they are mounted. */
export const mainRoutes: readonly SyncRoute[] = [healthRoutes];

export const routeTables = {
  main: mainRoutes,
  test: [...mainRoutes, testingRoutes],
} satisfies Record<SyncApiSettings["routeTable"], readonly SyncRoute[]>;
