/**
 * The async route tables, every route mounted under the async prefix. `main` is the app; the
 * `routeTable` setting picks the table to serve, the way Django's ROOT_URLCONF does. A table is
 * built from what its handlers need. (The SSE and WebSocket streams are in src/streams/.)
 */
import { type AssertServes, api, type ServesExactly, servesExactly } from "@repo/contracts";
import type { EventLoopDelay } from "../http/event-loop.ts";
import type { AsyncRoute } from "../http/route.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { Outbound } from "../outbound/client.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import { healthRoutes } from "./health.ts";
import { statusRoutes } from "./status.ts";
import { testingRoutes } from "./testing.ts";

/** What the handlers of a table are built with. */
export interface RouteDependencies {
  readonly settings: AsyncApiSettings;
  readonly lifecycle: Lifecycle;
  readonly outbound: Outbound;
  readonly loop: EventLoopDelay;
}

/**
 * Every controller async-api serves, in the order they are mounted: exactly `api.async`. A
 * controller left out (or one api does not declare) is a compile error naming it (below), and an
 * error at start-up for what slips past the compiler.
 */
export function mainRoutes({ settings, lifecycle, outbound, loop }: RouteDependencies) {
  return servesExactly("async-api", api.async, [
    healthRoutes(lifecycle, loop),
    statusRoutes({ outbound, upstreams: settings.upstreams }),
  ]);
}

/** The compiler's check of `mainRoutes` against `api.async`. */
export type MainRoutesServeApi = AssertServes<
  ServesExactly<"async-api", typeof api.async, ReturnType<typeof mainRoutes>>
>;

export const routeTables = {
  main: mainRoutes,
  test: (dependencies: RouteDependencies) => [...mainRoutes(dependencies), testingRoutes],
} satisfies Record<AsyncApiSettings["routeTable"], (dependencies: RouteDependencies) => readonly AsyncRoute[]>;
