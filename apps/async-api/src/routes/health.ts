import { asyncHealth, problem } from "@repo/contracts";
import { route } from "../http/route.ts";
import type { Lifecycle } from "../lifecycle.ts";

/** Liveness (the process answers) and readiness (it takes new requests: not while draining). */
export function healthRoutes(lifecycle: Lifecycle) {
  return route(asyncHealth, {
    health: async () => ({ status: 200, body: { status: "ok", runtime: "async", pid: process.pid } }),
    ready: async () =>
      lifecycle.draining
        ? { status: 503, body: problem({ status: 503, detail: `async-api ${process.pid} is draining` }) }
        : { status: 200, body: { status: "ready", runtime: "async", pid: process.pid } },
  });
}
