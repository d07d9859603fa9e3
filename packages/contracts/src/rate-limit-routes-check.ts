/**
 * The start-up check of the `rateLimit.routes` settings against the endpoints an app serves. A
 * module of its own: it needs the whole API (`api`), which rate-limit.ts (imported by every
 * contract through contract.ts) must not import.
 */
import { type RateLimitSettings, type SettingsCheck, TEST_ROUTE_TABLE } from "@repo/shared-settings";
import { api } from "./api.ts";
import type { EndpointContract, Runtime } from "./contract.ts";
import { routeKey } from "./rate-limit.ts";
import { testingEndpoints } from "./testing-endpoints.ts";

/**
 * Refuses a `rateLimit.routes` key that names no endpoint the app serves (a typo would otherwise
 * leave a route unlimited in silence): the endpoints of its runtime in `api`, and the test-only
 * ones under the `test` route table.
 */
export function rateLimitRoutesCheck(
  runtime: Runtime,
): SettingsCheck<{ readonly rateLimit: RateLimitSettings; readonly asyncPrefix: string; readonly routeTable: string }> {
  return (settings) => {
    const prefix = runtime === "async" ? settings.asyncPrefix : "";
    const endpoints: EndpointContract[] = [
      ...api[runtime].flatMap((c) => Object.values(c.endpoints) as EndpointContract[]),
      ...(settings.routeTable === TEST_ROUTE_TABLE ? Object.values(testingEndpoints) : []),
    ];
    const known = new Set(endpoints.map((endpoint) => routeKey(endpoint, prefix)));
    return Object.keys(settings.rateLimit.routes)
      .filter((key) => !known.has(key))
      .map((key) => ({
        key: `rateLimit.routes["${key}"]`,
        message: `names no endpoint of this app; its endpoints are ${[...known].sort().join(", ")}`,
      }));
  };
}
