/**
 * Every request from its arrival until its response's 'close' (its connection done with it, an SSE
 * stream included): counted for the drain, and, with metrics on, measured once when it closes.
 */
import type { HttpMetrics } from "@repo/metrics";
import type { FastifyReply } from "fastify";
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

function record(metrics: HttpMetrics, reply: FastifyReply): void {
  const { request } = reply;
  // The route's template (`/async/things/:id`), never the raw path: `routeOptions` is read once,
  // here, as the request ends.
  const route = request.is404 ? metrics.unmatched : metrics.route(request.routeOptions.url ?? request.url);
  const status = reply.raw.writableFinished ? reply.statusCode : CLIENT_CLOSED;
  metrics.requestFinished(route, request.method, status, reply.elapsedTime / 1_000);
}
