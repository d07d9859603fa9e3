/**
 * The async route tables, every route mounted under the async prefix. `main` is the app; the
 * `routeTable` setting picks the table to serve, the way Django's ROOT_URLCONF does.
 */
import type { AsyncRoute } from "../http/route.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import { healthRoutes } from "./health.ts";
import { testingRoutes } from "./testing.ts";

/** Every controller async-api serves, in the order they are mounted. */
export const mainRoutes: readonly AsyncRoute[] = [healthRoutes];

export const routeTables = {
  main: mainRoutes,
  test: [...mainRoutes, testingRoutes],
} satisfies Record<AsyncApiSettings["routeTable"], readonly AsyncRoute[]>;
