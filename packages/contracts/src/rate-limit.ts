/**
 * Per-route rate limits: declared once in a contract (`rateLimit` on an endpoint), changed per
 * environment by the `rateLimit` settings, counted by each app (docs/contracts.md, "Rate limits").
 * This module holds what both apps and the OpenAPI document share: the key that names a route,
 * the limit in force and the 429 problem. The check of the settings' keys against the API is
 * rate-limit-routes-check.ts.
 */
import type { RateLimitSettings, RateLimitValue } from "@repo/shared-settings";
import type { EndpointContract } from "./contract.ts";
import { HttpProblem } from "./problem.ts";
import type { Principal } from "./security.ts";

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

/**
 * The key a secured route counts a request by: its verified token's subject, so that clients
 * behind one address (a NAT, an office) each have their own quota, and a request refused for its
 * token spends none. Public routes count by address. Counted after the token is checked, so a
 * request without a principal here is a bug, not a client's fault.
 */
export function subjectKey(route: string, principal: Principal | undefined): string {
  if (!principal) throw new Error(`${route} counts by token subject, but was counted before its token was verified`);
  return `sub:${principal.subject}`;
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
