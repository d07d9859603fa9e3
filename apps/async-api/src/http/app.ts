import { isUtf8 } from "node:buffer";
import { METHODS } from "node:http";
import fastifyCors from "@fastify/cors";
import {
  type Authenticate,
  answerClientError,
  answerForError,
  BODY_PROBLEM_DETAIL,
  bearerAuthenticator,
  problem,
  REQUEST_ID_HEADER,
  refuseConnect,
  refuseExpectation,
  requestIdFrom,
} from "@repo/contracts";
import type { HttpMetrics } from "@repo/metrics";
import { serverTimeouts } from "@repo/shared-settings";
import { fastifyTracing } from "@repo/tracing";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Lifecycle } from "../lifecycle.ts";
import { CallCancelled } from "../outbound/client.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import { registerStreams } from "../streams/register.ts"; // #example
import type { NoteEventsRelay } from "../streams/relay.ts"; // #example
import type { EventLoopGuard } from "./event-loop.ts";
import { InFlight, recordRefusal } from "./in-flight.ts";
import { asyncEndpoints, mountEndpoints, sendProblem } from "./mount.ts";
import { rateLimitPlugin } from "./rate-limit.ts";
import { decorateAccessLogLevel, OneLinePerRequest, requestLogger } from "./request-log.ts";
import type { AsyncRoute } from "./route.ts";
import { WebSocketRoutes } from "./upgrade.ts";

const FASTIFY_BODY_ERRORS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: BODY_PROBLEM_DETAIL.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: BODY_PROBLEM_DETAIL.emptyJson,
  FST_ERR_CTP_BODY_TOO_LARGE: BODY_PROBLEM_DETAIL.tooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: BODY_PROBLEM_DETAIL.mediaType,
};

/**
 * The Fastify app: request ids and logging, JSON bodies up to the limit, the route table under
 * the async prefix, and problem+json for everything that goes wrong.
 */
export interface AppParts {
  readonly lifecycle: Lifecycle;
  /** Where requests are measured (`metrics.port` set); none when metrics are off. */
  readonly metrics?: HttpMetrics;
  readonly relay: NoteEventsRelay; // #example
  readonly guard?: EventLoopGuard;
  /**
   * Registers more routes at the root, outside the async prefix: combined mode serves sync-api's
   * half of the API there. Its readiness paths go in `readinessPaths`.
   */
  readonly root?: (
    app: FastifyInstance,
    parts: { readonly guard?: EventLoopGuard; readonly authenticate: Authenticate },
  ) => void;
  /** Paths of readiness routes outside the prefix: while draining they answer for themselves. */
  readonly readinessPaths?: readonly string[];
}

export function buildApp(settings: AsyncApiSettings, routes: readonly AsyncRoute[], logger: Logger, parts: AppParts) {
  const { lifecycle, metrics, guard, root, readinessPaths = [] } = parts;
  const inFlight = new InFlight(lifecycle, metrics);
  const readiness = new Set([`${settings.asyncPrefix}/readyz`, ...readinessPaths]);
  const timeouts = serverTimeouts(settings.http);
  const webSocketRoutes = new WebSocketRoutes();
  const app = Fastify({
    loggerInstance: logger,
    // Each request's logger, bound to its id, made when a line is written (request-log.ts).
    childLoggerFactory: requestLogger,
    // What Node's parser refuses before Fastify sees it: a problem too, not Fastify's own JSON.
    clientErrorHandler: answerClientError,
    // What Fastify refuses before routing (a URL it cannot decode, `/async/x/%`): a problem too.
    frameworkErrors: (error, request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      sendProblem(request, reply, problem({ status: 400, detail: error.message }));
    },
    // The request id: the client's X-Request-ID if sane (the proxy makes one otherwise).
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    logController: new OneLinePerRequest(),
    bodyLimit: settings.http.bodyLimitBytes,
    // X-Forwarded-For/-Proto count only from the proxy hop; `request.ip` is then the client's.
    trustProxy: [...settings.http.trustProxy],
    // Behind a proxy: never close an idle connection the proxy may be about to reuse.
    keepAliveTimeout: timeouts.keepAliveTimeout,
    requestTimeout: timeouts.requestTimeout,
    // What Fastify has no option for (Node's headersTimeout would stay 60 s, above a shorter
    // requestTimeout, which Node then never enforces): see serverTimeouts.
    http: {
      headersTimeout: timeouts.headersTimeout,
      connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
      // Only a WebSocket handshake on a WebSocket route leaves HTTP (upgrade.ts).
      shouldUpgradeCallback: webSocketRoutes.takesUpgrade,
    },
  });
  // OpenTelemetry's Fastify plugin, first, when tracing is on (docs/observability.md, "Traces").
  const tracing = fastifyTracing();
  if (tracing) app.register(tracing);
  app.addHook("onRoute", webSocketRoutes.learn);
  decorateAccessLogLevel(app);

  // CONNECT never reaches Fastify (Node hands it to `connect`): refused as a problem too.
  app.server.on("connect", refuseConnect);
  // Nor does an Expect Node cannot meet (Node's own 417 is empty).
  app.server.on("checkExpectation", refuseExpectation);

  // Every method Node parses is one Fastify routes (a WebDAV PROPFIND included), so that each
  // is a 405 with `Allow` on a declared path, as in sync-api; CONNECT never reaches routing.
  for (const method of METHODS) {
    if (method !== "CONNECT" && !app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }

  // JSON is UTF-8 (RFC 8259): a body that is not is a 400, not text with U+FFFD in it. Then
  // Fastify's own parser (with its prototype-poisoning checks).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    if (!isUtf8(body as Buffer)) {
      done(Object.assign(new Error(BODY_PROBLEM_DETAIL.invalidUtf8), { statusCode: 400 }), undefined);
      return;
    }
    parseJson(request, (body as Buffer).toString("utf8"), done);
  });

  // Callback-style hooks here and in mount.ts: an async hook costs a promise per request.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    // Counted until its connection is done with it (SSE included), and measured, whatever the
    // answer (a 404 and a draining 503 too); a WebSocket lives on apart.
    if (!webSocketRoutes.takesUpgrade(request.raw)) inFlight.track(reply);
    // No route: answered here, before Fastify would read (and parse) a body nobody wants.
    if (request.is404) {
      sendProblem(request, reply, problem({ status: 404, detail: `No route for ${request.method} ${request.url}` }));
      return;
    }
    // Draining: in-flight requests finish; new ones are refused so the proxy sends them
    // elsewhere, except readiness, which answers for itself (503 while draining).
    if (lifecycle.draining) {
      reply.header("connection", "close");
      if (readiness.has(request.routeOptions.url ?? "")) return done();
      sendProblem(request, reply, problem({ status: 503, detail: "async-api is restarting; retry" }));
      return;
    }
    done();
  });

  // Cross-origin callers only from the allow-list (off by default); preflights answered in onRequest.
  if (settings.http.corsOrigins.length > 0) {
    app.register(fastifyCors, { origin: [...settings.http.corsOrigins], maxAge: 600 });
  }

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, problem({ status: 404, detail: `No route for ${request.method} ${request.url}` })),
  );
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof CallCancelled) {
      // The client left; its upstream calls were cancelled. There is no one to answer.
      request.log.info("client went away: its outbound calls were cancelled");
      return;
    }
    const answer = answerForError(error, {
      exposeErrors: settings.http.exposeErrors,
      // Fastify's errors for a body it cannot take, by their `code`, in sync-api's words.
      clientDetail: (e) => FASTIFY_BODY_ERRORS[String((e as { code?: unknown }).code)],
    });
    if (answer.unexpected) request.log.error({ err: error }, "unhandled error");
    if (metrics) recordRefusal(metrics, request, answer.body.status);
    reply.headers(answer.headers);
    return sendProblem(request, reply, answer.body);
  });

  // Before any route: each limited route's hook asks it (rate-limit.ts).
  app.register(...rateLimitPlugin);
  const authenticate = bearerAuthenticator(settings.auth);
  app.register(
    async (scope) => {
      mountEndpoints(scope, asyncEndpoints(routes), {
        responseValidation: settings.http.responseValidation,
        rateLimit: settings.rateLimit,
        authenticate,
        ...(guard ? { guard } : {}),
      });
      await registerStreams(scope, { relay: parts.relay, lifecycle, settings, authenticate }); // #example
    },
    { prefix: settings.asyncPrefix },
  );
  if (root) app.register(async (scope) => root(scope, { authenticate, ...(guard ? { guard } : {}) }));
  return app;
}
