/**
 * A worker's request metrics (docs/observability.md): each request is observed once, when its
 * response is done, under its route's contract path (`/things/:id`), known when the route is
 * mounted, never the raw path. The supervisor serves them, summed over every worker.
 */
import type { HttpMetrics, RouteMetrics } from "@repo/metrics";
import type { NextFunction, Request, RequestHandler, Response } from "express";

declare global {
  namespace Express {
    interface Request {
      /** The label sets of the contract route that took this request (mount.ts), for its metrics. */
      routeMetrics?: RouteMetrics;
    }
  }
}

/** Marks a request as its contract route's, before anything there can refuse it (a 401, a 429). */
export function tagRoute(route: RouteMetrics): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    req.routeMetrics = route;
    next();
  };
}

/**
 * The route a finished request counts under: its contract route; else the Express route that
 * answered (the API reference's pages and other routes outside the contracts), its mount path joined; else none, one
 * fixed label for every unmatched path.
 */
function routeOf(metrics: HttpMetrics, req: Request): RouteMetrics {
  if (req.routeMetrics) return req.routeMetrics;
  const path: unknown = req.route?.path;
  if (typeof path !== "string") return metrics.unmatched;
  return metrics.route(req.baseUrl ? req.baseUrl + path : path);
}

/** What the request log's one `close` listener calls for the metrics: the request's only observation. */
export function recordFinished(metrics: HttpMetrics): (req: Request, res: Response, startedAt: number) => void {
  return (req, res, startedAt) =>
    metrics.requestFinished(routeOf(metrics, req), req.method, res.statusCode, (performance.now() - startedAt) / 1000);
}
