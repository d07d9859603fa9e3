import { z } from "zod";
import { layer } from "../layer.ts";

/** A route key: the method and the public path as the contract declares it (`POST /orders`, `GET /async/status`). */
export const RATE_LIMIT_ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) \/\S*$/;

/** One limit: at most `limit` requests per client in each window of `windowMs`. */
export const rateLimitValue = z.strictObject({
  limit: z.int().positive(),
  windowMs: z.int().min(1_000, "at least 1000 (the headers count whole seconds)"),
});

/**
 * The per-route limits each app applies itself (docs/settings.md, "Rate limits"); nginx's global
 * per-client limits come first. A route's own limit is declared in its contract; these settings
 * change it per environment.
 */
export const rateLimitSchema = {
  rateLimit: z.strictObject({
    /** Off: no route is limited (the contracts' limits stay in the OpenAPI document). */
    enabled: z.boolean(),
    /**
     * Per route, by `"METHOD /path"` (the public path, `:name` parameters as declared): a limit
     * that replaces the contract's (or limits a route that declares none), or `false` for none.
     * A key that names no endpoint of the app is refused at start-up.
     */
    routes: z.record(
      z.string().regex(RATE_LIMIT_ROUTE_KEY, 'a route key such as "POST /orders"'),
      z.union([z.literal(false), rateLimitValue]),
    ),
  }),
};

export type RateLimitSettings = z.infer<(typeof rateLimitSchema)["rateLimit"]>;
export type RateLimitValue = z.infer<typeof rateLimitValue>;

export const rateLimitLayer = layer("shared/rate-limit", {
  rateLimit: { enabled: true, routes: {} },
});

/**
 * Off under test: the suites send hundreds of requests from one address (127.0.0.1), and the
 * limits have tests of their own, which turn them on.
 */
export const rateLimitByEnvironment = {
  test: { rateLimit: { enabled: false } },
};
