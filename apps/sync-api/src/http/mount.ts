import {
  type Authenticate,
  allowHeader,
  ContractViolation,
  checkResponse,
  type HandlerResult,
  implementedEndpoints,
  methodsByPath,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  parseRequest,
  problem,
  problemForRequest,
} from "@repo/contracts";
import type { HttpMetrics } from "@repo/metrics";
import type { Request, RequestHandler, Response, Router } from "express";
import { requireToken } from "./auth.ts";
import { tagRoute } from "./metrics.ts";
import type { RateLimiters } from "./rate-limit.ts";
import type { SyncRoute } from "./route.ts";

const LOWER = { GET: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete" } as const;

export interface MountOptions {
  /** Reads a JSON body, for the routes whose contract declares one. */
  readonly bodyParser: RequestHandler;
  /** Check every answer against its contract (development and test). */
  readonly responseValidation: boolean;
  /** The limiter of each rate-limited endpoint (rate-limit.ts); none when limits are off. */
  readonly rateLimiters?: RateLimiters | undefined;
  /** Verifies bearer tokens, for the routes whose contract declares `security`. */
  readonly authenticate?: Authenticate;
  /** Called as a handler starts, with the request it runs for (the worker timeout's report names it). */
  readonly onHandlerStart?: (id: string, method: string, url: string) => void;
  /** Called as the handler returns or throws. */
  readonly onHandlerEnd?: () => void;
  /** Where requests are counted, by their contract path (none when metrics are off). */
  readonly metrics?: HttpMetrics;
  /** Told of each request whose token a route's security refused. */
  readonly onAuthRefused?: (req: Request) => void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Registers a route table on an Express router: each endpoint as a native route whose handler
 * validates every part of the request, runs the sync handler, and checks its answer. Then, per
 * path, OPTIONS answers with `Allow` and any other method with a 405 problem.
 */
export function mountRouteTable(router: Router, routes: readonly SyncRoute[], options: MountOptions): void {
  for (const { controller, handlers } of routes) {
    for (const { where, endpoint, security, handler } of implementedEndpoints("sync", controller, handlers)) {
      const { accessLogLevel } = endpoint;
      // Counted before the body is read (a refused request costs no read); on a secured route
      // after the token is checked, by its subject, so one address's callers each have a quota.
      const limiter = options.rateLimiters?.(endpoint, security !== undefined);
      const before: RequestHandler[] = [
        // First, so that a refusal below counts under this route too.
        ...(options.metrics ? [tagRoute(options.metrics.route(endpoint.path))] : []),
        ...(security ? [requireToken(where, security, options.authenticate, options.onAuthRefused)] : []),
        ...(limiter ? [limiter] : []),
        ...(endpoint.body ? [options.bodyParser] : []),
      ];
      router[LOWER[endpoint.method]](endpoint.path, ...before, (req: Request, res: Response) => {
        if (accessLogLevel) req.accessLogLevel = accessLogLevel;
        const parts = parseRequest(
          endpoint,
          { params: req.params, query: req.query, headers: req.headers, body: req.body },
          req.headers["content-type"],
        );
        options.onHandlerStart?.(req.id, req.method, req.originalUrl);
        let result: HandlerResult;
        try {
          // Plain data only, as in a pool thread: the same handler runs in either host.
          result = handler({ id: req.id, ...parts, principal: req.principal }) as HandlerResult;
        } finally {
          options.onHandlerEnd?.();
        }
        if (isThenable(result)) {
          throw new ContractViolation(`${where} returned a Promise; sync-api handlers must be synchronous`);
        }
        if (options.responseValidation) checkResponse(where, endpoint, result);
        if (result.headers) res.set(result.headers);
        if (result.body === undefined) res.status(result.status).end();
        else if (result.status >= 400) sendProblem(req, res, result.body as ProblemDetails);
        else res.status(result.status).json(result.body);
      });
    }
  }
  for (const [path, methods] of methodsByPath(routes.flatMap((r) => Object.values(r.controller.endpoints)))) {
    const allow = allowHeader(methods);
    const route = options.metrics?.route(path);
    router.all(path, (req: Request, res: Response) => {
      if (route) req.routeMetrics = route;
      res.set("allow", allow);
      if (req.method === "OPTIONS") {
        res.status(204).end();
        return;
      }
      sendProblem(req, res, problem({ status: 405, detail: `${req.method} is not allowed here; use ${allow}` }));
    });
  }
}

/** Sends a problem+json answer, filling in the request's path (its bearer token redacted) and id. */
export function sendProblem(req: Request, res: Response, body: ProblemDetails): void {
  res
    .status(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemForRequest(body, req.originalUrl, req.id)));
}
