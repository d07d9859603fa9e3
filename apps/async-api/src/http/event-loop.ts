/**
 * The event loop's health, for a process whose loop must never block: a guard that names the
 * handler that blocked it, and the loop's recent delay for readiness.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Logger } from "pino";
import type { AsyncApiSettings } from "../settings/index.ts";

/**
 * asyncio's debug mode for Node: the synchronous stretch of every handler (from its call to its
 * first `await`, or to its answer) is timed, and one longer than `blockWarnMs` is logged with the
 * route and the request id. Two `performance.now()` calls per request: cheap enough to stay on.
 */
export class EventLoopGuard {
  readonly #blockWarnMs: number;
  readonly #logger: Logger;

  constructor(settings: AsyncApiSettings["eventLoop"], logger: Logger) {
    this.#blockWarnMs = settings.blockWarnMs;
    this.#logger = logger;
  }

  /** True when the guard is on (`blockWarnMs` > 0). */
  get enabled(): boolean {
    return this.#blockWarnMs > 0;
  }

  /**
   * How long the stretch begun at `started` (performance.now()) blocked the loop, when that is
   * too long to let pass; undefined otherwise (the cheap path every request takes).
   */
  blocked(started: number): number | undefined {
    const blockedMs = performance.now() - started;
    return blockedMs >= this.#blockWarnMs ? blockedMs : undefined;
  }

  /** Logs a stretch `blocked` found too long, naming the route and the request. */
  report(blockedMs: number, route: { method: string; url: string; requestId: string }): void {
    const ms = Math.round(blockedMs);
    this.#logger.warn(
      { reqId: route.requestId, route: `${route.method} ${route.url}`, blockedMs: ms },
      `${route.method} ${route.url} blocked the event loop for ${ms} ms — blocking work belongs in a sync controller`,
    );
  }
}

export interface DelaySnapshot {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The event loop's delay (Node's `monitorEventLoopDelay`, sampled every 20 ms) over the last
 * complete window of `windowMs`, in milliseconds: what readiness reports, and what it sheds load
 * on when `maxDelayMs` is set (as @fastify/under-pressure does).
 */
export class EventLoopDelay {
  readonly #histogram = monitorEventLoopDelay({ resolution: 20 });
  readonly #maxDelayMs: number;
  #last: DelaySnapshot = { p50: 0, p99: 0, max: 0 };
  #timer: NodeJS.Timeout | undefined;

  constructor(settings: AsyncApiSettings["eventLoop"]) {
    this.#maxDelayMs = settings.maxDelayMs;
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#rotate(), settings.delayWindowMs).unref();
  }

  #rotate(): void {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const h = this.#histogram;
    this.#last = h.count > 0 ? { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) } : this.#last;
    h.reset();
  }

  /** The last window's delay percentiles. */
  get snapshot(): DelaySnapshot {
    return this.#last;
  }

  /** True while shedding: `maxDelayMs` is set and the last window's p99 was above it. */
  get lagging(): boolean {
    return this.#maxDelayMs > 0 && this.#last.p99 > this.#maxDelayMs;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
  }
}
