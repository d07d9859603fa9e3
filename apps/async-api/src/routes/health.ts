import { asyncHealth, problem } from "@repo/contracts";
import type { EventLoopDelay } from "../http/event-loop.ts";
import { route } from "../http/route.ts";
import type { Lifecycle } from "../lifecycle.ts";

/**
 * Liveness (the process answers) and readiness (it takes new requests: not while draining, nor
 * while its event loop lags past `eventLoop.maxDelayMs`), with the loop's recent delay.
 */
export function healthRoutes(lifecycle: Lifecycle, loop: EventLoopDelay) {
  return route(asyncHealth, {
    health: async () => ({ status: 200, body: { status: "ok", runtime: "async", pid: process.pid } }),
    ready: async () => {
      if (lifecycle.draining) {
        return { status: 503, body: problem({ status: 503, detail: `async-api ${process.pid} is draining` }) };
      }
      const eventLoopDelayMs = loop.snapshot;
      if (loop.lagging) {
        const detail = `async-api ${process.pid}'s event loop lags: p99 ${eventLoopDelayMs.p99} ms over the last window`;
        return { status: 503, body: problem({ status: 503, detail }), headers: { "retry-after": "1" } };
      }
      return { status: 200, body: { status: "ready", runtime: "async", pid: process.pid, eventLoopDelayMs } };
    },
  });
}
