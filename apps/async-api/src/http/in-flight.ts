/**
 * Every request from its arrival until its response's 'close' (its connection done with it, an SSE
 * stream included): counted for the drain, and, with metrics on, measured once when it closes.
 */
import type { HttpMetrics, RouteMetrics } from "@repo/metrics";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Lifecycle } from "../lifecycle.ts";

/**
 * The status recorded for a response its client left before it finished (nginx's "client closed
 * request"), an SSE stream the browser closed among them: no status was sent.
 */
export const CLIENT_CLOSED = 499;

export class InFlight {
  readonly #lifecycle: Lifecycle;
  readonly #metrics: HttpMetrics | undefined;

  constructor(lifecycle: Lifecycle, metrics: HttpMetrics | undefined) {
    this.#lifecycle = lifecycle;
    this.#metrics = metrics;
  }

  /**
   * From the app's `onRequest` hook: one listener on the response's 'close', which Node emits
   * once (a closure: measured cheaper than a map from responses to their replies).
   */
  track(reply: FastifyReply): void {
    this.#lifecycle.requestStarted();
    reply.raw.on("close", () => this.#ended(reply));
  }

  #ended(reply: FastifyReply): void {
    this.#lifecycle.requestEnded();
    if (this.#metrics) record(this.#metrics, reply);
  }
}

/**
 * Counts a refusal the app's error handler answers, by route: a token refused (401, 403) or a rate
 * limit past (429), wherever it was checked (a route's hooks, a stream's, the WebSocket's handshake).
 */
export function recordRefusal(metrics: HttpMetrics, request: FastifyRequest, status: number): void {
  if (status === 401 || status === 403) metrics.authRefused(routeOf(metrics, request), request.method);
  else if (status === 429) metrics.rateLimited(routeOf(metrics, request), request.method);
}

/** The route's template (`/async/things/:id`), never the raw path. */
function routeOf(metrics: HttpMetrics, request: FastifyRequest): RouteMetrics {
  return request.is404 ? metrics.unmatched : metrics.route(request.routeOptions.url ?? request.url);
}

function record(metrics: HttpMetrics, reply: FastifyReply): void {
  const { request } = reply;
  // `routeOptions` is read once, here, as the request ends.
  const route = routeOf(metrics, request);
  const status = reply.raw.writableFinished ? reply.statusCode : CLIENT_CLOSED;
  metrics.requestFinished(route, request.method, status, reply.elapsedTime / 1_000);
}
