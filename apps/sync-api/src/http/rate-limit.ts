/**
 * The rate limits of sync-api's routes: express-rate-limit in front of each limited endpoint,
 * counting in the store all workers share (rate-limit-store.ts: a SQLite file per host, or the
 * PostgreSQL database every host shares), keyed by the client's
 * address as `trust proxy` resolves it, or on a secured route by the verified token's subject
 * (it runs after the token check there: `subjectKey`). The answers: IETF `RateLimit` and
 * `RateLimit-Policy` headers (draft 8) on every limited route, and past the limit the 429 problem
 * with `Retry-After`.
 */
import { type EndpointContract, rateLimitOf, rateLimitProblem, routeKey, subjectKey } from "@repo/contracts";
import type { Request, RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { Database } from "../db/database.ts";
import type { SyncApiSettings } from "../settings/index.ts";
import { openRateLimitDatabase, RateLimitCounter } from "./rate-limit-store.ts";

/**
 * For each endpoint, its limiter, or undefined when it is not limited; undefined when limits are
 * off. `secured`: the endpoint requires a token, and its limiter runs after the check.
 */
export type RateLimiters = (endpoint: EndpointContract, secured: boolean) => RequestHandler | undefined;

/**
 * The limiters, counting on this host's PostgreSQL connection (`db`) when that is the database, else
 * in the SQLite file `rateLimit.path` (a connection of this worker's own); none when limits are off.
 * `onRefused`: told of each request a limit refuses (the metrics).
 */
export function rateLimiters(
  settings: Pick<SyncApiSettings, "rateLimit" | "database">,
  db?: Database,
  onRefused?: (req: Request) => void,
): RateLimiters | undefined {
  if (!settings.rateLimit.enabled) return undefined;
  const counter = new RateLimitCounter(
    db?.dialect === "postgres"
      ? db
      : openRateLimitDatabase(settings.rateLimit.path, { busyTimeoutMs: settings.database.busyTimeoutMs }),
  );
  return (endpoint, secured) => {
    const route = routeKey(endpoint);
    const limit = rateLimitOf(endpoint, route, settings.rateLimit);
    if (!limit) return undefined;
    return rateLimit({
      limit: limit.limit,
      windowMs: limit.windowMs,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      identifier: route,
      store: counter.store(route),
      // Public routes: express-rate-limit's own key, the address (an IPv6 client's /56).
      ...(secured ? { keyGenerator: (req) => subjectKey(route, req.principal) } : {}),
      // The app's error handler sends it: the same problem+json as every other error.
      handler: (req, res, next) => {
        onRefused?.(req);
        next(rateLimitProblem(route, limit, Number(res.getHeader("retry-after"))));
      },
    });
  };
}
