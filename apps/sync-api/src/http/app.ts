import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  answerForError,
  BODY_PROBLEM_DETAIL,
  bearerAuthenticator,
  isParseableTarget,
  openApiDocument,
  problem,
  requestPath,
  UNPARSEABLE_TARGET_DETAIL,
} from "@repo/contracts";
import type { HttpMetrics } from "@repo/metrics";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { SyncApiSettings } from "../settings/index.ts";
import { docsRouter } from "./docs.ts";
import { recordFinished } from "./metrics.ts";
import { type MountOptions, mountRouteTable, sendProblem } from "./mount.ts";
import { rateLimiters } from "./rate-limit.ts";
import { type RequestHooks, requestLogging } from "./request-log.ts";
import type { SyncRoute } from "./route.ts";
import { serveWelcome } from "./welcome.ts"; // #example

/** body-parser's errors, by its `type`, as the client should read them. */
const BODY_ERRORS: Readonly<Record<string, string>> = {
  "entity.parse.failed": BODY_PROBLEM_DETAIL.invalidJson,
  "encoding.invalid": BODY_PROBLEM_DETAIL.invalidUtf8,
  "entity.too.large": BODY_PROBLEM_DETAIL.tooLarge,
  "encoding.unsupported": "The body's encoding is not supported",
  "charset.unsupported": "The body's charset is not supported",
};

/**
 * The Express app one worker serves: request ids and logging, JSON bodies up to the limit, the
 * route table, then problem+json for everything that goes wrong.
 */
/** How the worker around the app takes part in its requests. */
export interface AppHooks {
  /** While true, every answer carries `Connection: close`, so clients move to other workers. */
  readonly isDraining?: () => boolean;
  readonly onHandlerStart?: MountOptions["onHandlerStart"];
  readonly onHandlerEnd?: MountOptions["onHandlerEnd"];
  /** Called once per request when its response is done (max-requests counting). */
  readonly onResponseFinished?: () => void;
  /** Where this worker records its request metrics (none when `metrics.port` is 0). */
  readonly metrics?: HttpMetrics;
}

export function createApp(
  settings: SyncApiSettings,
  { routes, db }: { readonly routes: readonly SyncRoute[]; readonly db?: Database },
  logger: Logger,
  hooks: AppHooks = {},
): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const { metrics } = hooks;
  // X-Forwarded-For/-Proto count only from the proxy hop; `req.ip` is then the client's address.
  app.set("trust proxy", settings.http.trustProxy);

  // One JSON line per request, carrying the request id; the id is echoed to the client too.
  app.use(requestLogging(app, logger, requestHooks(hooks)));
  refuseUnparseableTargets(app);
  // Cross-origin callers only from the allow-list (off by default); preflights answered here.
  if (settings.http.corsOrigins.length > 0) app.use(cors({ origin: [...settings.http.corsOrigins], maxAge: 600 }));
  if (hooks.isDraining) {
    const isDraining = hooks.isDraining;
    app.use((_req: Request, res: Response, next: NextFunction) => {
      if (isDraining()) res.setHeader("connection", "close");
      next();
    });
  }
  const router = express.Router();
  mountRouteTable(router, routes, {
    responseValidation: settings.http.responseValidation,
    rateLimiters: rateLimiters(
      settings,
      db,
      metrics && ((req) => metrics.rateLimited(req.routeMetrics ?? metrics.unmatched, req.method)),
    ),
    authenticate: bearerAuthenticator(settings.auth),
    // Only on the routes whose contract takes a body: no other request has its body read.
    bodyParser: express.json({
      limit: settings.http.bodyLimitBytes,
      type: ["application/json", "application/*+json"],
      // JSON is UTF-8 (RFC 8259): bytes that are not would be stored as U+FFFD, silently.
      verify: (_req, _res, body) => {
        if (!isUtf8(body))
          throw Object.assign(new Error(BODY_PROBLEM_DETAIL.invalidUtf8), { status: 400, type: "encoding.invalid" });
      },
    }),
    ...(hooks.onHandlerStart ? { onHandlerStart: hooks.onHandlerStart } : {}),
    ...(hooks.onHandlerEnd ? { onHandlerEnd: hooks.onHandlerEnd } : {}),
    ...(metrics
      ? {
          metrics,
          onAuthRefused: (req: Request) => metrics.authRefused(req.routeMetrics ?? metrics.unmatched, req.method),
        }
      : {}),
  });
  app.use(router);
  if (settings.welcomePage) serveWelcome(app, settings.asyncPrefix, settings.auth); // #example
  if (settings.apiReference) app.use(docsRouter(openApiDocument({ asyncPrefix: settings.asyncPrefix })));

  app.use((req: Request, res: Response) => {
    sendProblem(req, res, problem({ status: 404, detail: `No route for ${req.method} ${req.path}` }));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const answer = answerForError(error, {
      exposeErrors: settings.http.exposeErrors,
      // body-parser's errors, by their `type`, in the words async-api uses too.
      clientDetail: (e) => BODY_ERRORS[String((e as { type?: unknown }).type)],
    });
    if (answer.unexpected) req.log.error({ err: error }, "unhandled error");
    res.set(answer.headers);
    sendProblem(req, res, answer.body);
  });
  return app;
}

/** The request log's hooks: the worker's max-requests count and the metrics, on its one listener. */
function requestHooks({ onResponseFinished, metrics }: AppHooks): RequestHooks {
  const record = metrics && recordFinished(metrics);
  if (!record) return onResponseFinished ? { onDone: onResponseFinished } : {};
  return {
    onStart: metrics.requestStarted,
    onDone: onResponseFinished
      ? (req, res, startedAt) => {
          onResponseFinished();
          record(req, res, startedAt);
        }
      : record,
  };
}

/** Where a target no URL can be made of is kept while Express routes the request as `/`. */
const UNPARSEABLE = Symbol("unparseable target");
type Tagged = IncomingMessage & { [UNPARSEABLE]?: string; originalUrl?: string };

/**
 * A target no URL can be made of (`http://[::1/healthz`): Express's router cannot parse it and
 * would answer its own HTML 404 before any middleware ran. It is routed as `/` instead, to the
 * 400 problem here, logged and with its request id like any answer.
 */
function refuseUnparseableTargets(app: express.Express): void {
  const withHandle = app as unknown as { handle(req: Tagged, res: ServerResponse, next?: unknown): void };
  const handle = withHandle.handle.bind(app);
  withHandle.handle = (req, res, next) => {
    const target = req.url ?? "/";
    if (!isParseableTarget(target)) {
      req[UNPARSEABLE] = target;
      req.originalUrl = target;
      req.url = "/";
    }
    handle(req, res, next);
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    const target = (req as Tagged)[UNPARSEABLE];
    if (target === undefined) return next();
    sendProblem(req, res, problem({ status: 400, detail: UNPARSEABLE_TARGET_DETAIL, instance: requestPath(target) }));
  });
}
