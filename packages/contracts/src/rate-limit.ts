/**
 * Per-route rate limits: declared once in a contract (`rateLimit` on an endpoint), changed per
 * environment by the `rateLimit` settings, counted by each app (docs/contracts.md, "Rate limits").
 * This module holds what both apps and the OpenAPI document share: the key that names a route,
 * the limit in force, the 429 problem and the check on the settings' keys.
 */
import {
  type RateLimitSettings,
  type RateLimitValue,
  type SettingsCheck,
  TEST_ROUTE_TABLE,
} from "@repo/shared-settings";
import { api } from "./api.ts";
import type { EndpointContract, Runtime } from "./contract.ts";
import { HttpProblem } from "./problem.ts";
import { testingEndpoints } from "./testing-endpoints.ts";

/** At most `limit` requests per client in each window of `windowMs` milliseconds. */
export type RateLimit = RateLimitValue;

/**
 * Gives every endpoint of a group the same limit (each endpoint still counted apart), for a
 * controller whose every route is limited: `controller("x", "sync", rateLimited(limit, { ... }))`.
 */
export function rateLimited<const E extends Record<string, EndpointContract>>(
  rateLimit: RateLimit,
  endpoints: E,
): { readonly [K in keyof E]: E[K] & { readonly rateLimit: RateLimit } } {
  return Object.fromEntries(
    Object.entries(endpoints).map(([name, endpoint]) => [name, { rateLimit, ...endpoint }]),
  ) as { readonly [K in keyof E]: E[K] & { readonly rateLimit: RateLimit } };
}

/** How the settings and the headers name a route: `POST /orders`, `GET /async/status`. */
export function routeKey(endpoint: Pick<EndpointContract, "method" | "path">, prefix = ""): string {
  return `${endpoint.method} ${prefix}${endpoint.path}`;
}

/** The limit in force on a route: its settings override, else its contract's; none when off. */
export function rateLimitOf(
  endpoint: EndpointContract,
  key: string,
  settings: RateLimitSettings,
): RateLimit | undefined {
  if (!settings.enabled) return undefined;
  const override = settings.routes[key];
  if (override === false) return undefined;
  return override ?? endpoint.rateLimit;
}

/** The 429 problem: which route, its limit, and when to come back (also in `Retry-After`). */
export function rateLimitProblem(key: string, { limit, windowMs }: RateLimit, retryAfterSeconds: number) {
  return new HttpProblem(
    429,
    `${key} takes ${limit} requests per ${windowMs / 1_000} s from one client; retry in ${retryAfterSeconds} s`,
    {},
    { "retry-after": String(retryAfterSeconds) },
  );
}

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
