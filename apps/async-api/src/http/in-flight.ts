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
  /** Each open response's reply: a response ends once, however its end is reported. */
  readonly #replies = new Map<object, FastifyReply>();
  /** The 'close' listener: one function for every response (Node calls it with the response as `this`). */
  readonly #closed: (this: object) => void;

  constructor(lifecycle: Lifecycle, metrics: HttpMetrics | undefined) {
    this.#lifecycle = lifecycle;
    this.#metrics = metrics;
    const inFlight = this;
    this.#closed = function (this: object) {
      inFlight.#ended(this);
    };
  }

  /** From the app's `onRequest` hook: no closure and no hook of its own per request. */
  track(reply: FastifyReply): void {
    this.#replies.set(reply.raw, reply);
    this.#lifecycle.requestStarted();
    reply.raw.on("close", this.#closed);
  }

  #ended(response: object): void {
    const reply = this.#replies.get(response);
    if (!reply) return;
    this.#replies.delete(response);
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
