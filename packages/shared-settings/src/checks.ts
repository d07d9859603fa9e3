import type { SettingsCheck } from "./stack.ts";

/** Name of the route table that adds test-only routes to an app's main table. */
export const TEST_ROUTE_TABLE = "test";

/**
 * The `test` route table holds test-only routes (handlers that crash or hang on purpose): an app
 * serves it under NODE_ENV=test and refuses to start with it anywhere else.
 */
export const testRoutesOnlyUnderTest: SettingsCheck<{ readonly routeTable: string }> = (settings, { environment }) =>
  settings.routeTable === TEST_ROUTE_TABLE && environment !== "test"
    ? [
        {
          key: "routeTable",
          message: `the "${TEST_ROUTE_TABLE}" route table holds test-only routes; it is served under NODE_ENV=test only, not ${environment ?? "an unknown environment"}`,
        },
      ]
    : [];
