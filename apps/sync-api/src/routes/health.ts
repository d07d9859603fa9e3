import { problem, syncHealth } from "@repo/contracts";
import { route } from "../http/route.ts";
import type { Lifecycle } from "../lifecycle.ts";

/** Liveness (the worker answers) and readiness (it takes new requests: not while draining). */
export function healthRoutes(lifecycle: Lifecycle) {
  return route(syncHealth, {
    health: () => ({ status: 200, body: { status: "ok", runtime: "sync", pid: process.pid } }),
    ready: () =>
      lifecycle.draining
        ? { status: 503, body: problem({ status: 503, detail: `worker ${process.pid} is draining` }) }
        : { status: 200, body: { status: "ready", runtime: "sync", pid: process.pid } },
  });
}
