import { randomInt } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
import { answerClientError, refuseConnect, refuseExpectation } from "@repo/contracts";
import { createHttpMetrics, type HttpMetrics } from "@repo/metrics";
import { exitWhenLogged, listenFailure, serverTimeouts } from "@repo/shared-settings";
import type { Logger } from "pino";
import { openSyncRouteTable } from "../host.ts";
import { createApp } from "../http/app.ts";
import { type SyncApiSettings, syncApiSettings } from "../settings/index.ts";
import { isSupervisorMessage, WATCHDOG_FD, type WorkerMessage } from "./messages.ts";
import { Watchdog } from "./watchdog.ts";

/** How long a finally draining worker stays idle before it stops accepting (see `drain`). */
const QUIET_MS = 50;

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/** How long an exiting worker waits for its final metrics to be written to the IPC channel. */
const FINAL_METRICS_WAIT_MS = 1_000;

/**
 * Sends this worker's last numbers before it exits (the supervisor keeps its counters after it is
 * gone), then resolves: once written, or after a moment if the channel is stuck or closed.
 */
async function sendFinalMetrics(metrics: HttpMetrics | undefined): Promise<void> {
  if (!metrics || !process.connected) return;
  const snapshot = await metrics.registry.getMetricsAsJSON();
  await new Promise<void>((resolve) => {
    setTimeout(resolve, FINAL_METRICS_WAIT_MS).unref();
    if (!process.connected) return resolve();
    process.send?.({ type: "final-metrics", snapshot } satisfies WorkerMessage, undefined, {}, () => resolve());
  });
}

/**
 * One worker: the Express app on the shared listening socket. Its watchdog thread reports a
 * stuck event loop to the supervisor; it retires after `maxRequests`, and drains on the
 * supervisor's word or on SIGTERM/SIGINT.
 */
export function runWorker(settings: SyncApiSettings, logger: Logger): void {
  const lifecycle = { draining: false };
  const table = openSyncRouteTable(settings, lifecycle);
  const { close } = table;

  const { maxRequests, maxRequestsJitter, workerTimeoutMs } = settings.cluster;
  const watchdog = workerTimeoutMs > 0 ? new Watchdog({ timeoutMs: workerTimeoutMs, fd: WATCHDOG_FD }) : undefined;
  let served = 0;
  const retireAfter = maxRequests + randomInt(0, maxRequestsJitter + 1);
  // Recorded only where they are served: the supervisor asks for them on each scrape (below).
  const metrics = settings.metrics.port > 0 ? createHttpMetrics() : undefined;

  const app = createApp(settings, table, logger, {
    isDraining: () => lifecycle.draining,
    ...(metrics ? { metrics } : {}),
    ...(watchdog
      ? { onHandlerStart: watchdog.serving.bind(watchdog), onHandlerEnd: watchdog.idle.bind(watchdog) }
      : {}),
    ...(maxRequests > 0
      ? {
          onResponseFinished: () => {
            served++;
            if (served === retireAfter) send({ type: "retire", served });
          },
        }
      : {}),
  });
  // Not Express's app.listen: Node reads connectionsCheckingInterval only when it makes the server.
  const { keepAliveTimeout, ...timeouts } = serverTimeouts(settings.http);
  const server = createServer(timeouts, app);
  server.once("error", (error) => {
    const known = listenFailure(error, {
      host: settings.host,
      port: settings.port,
      variables: { host: syncApiSettings.variable(["host"]), port: syncApiSettings.variable(["port"]) },
    });
    if (known) logger.fatal(known);
    else logger.fatal({ err: error }, "worker cannot listen");
    exitWhenLogged(logger, 1);
  });
  server.listen(settings.port, settings.host);
  // Behind a proxy: never close an idle connection the proxy may be about to reuse.
  server.keepAliveTimeout = keepAliveTimeout;
  // What Node's parser refuses before Express sees it is a problem+json answer too.
  server.on("clientError", answerClientError);
  server.on("connect", refuseConnect);
  server.on("checkExpectation", refuseExpectation);

  // Requests in flight on this worker, for the final drain's "quiet" (below).
  let inFlight = 0;
  let onQuiet: (() => void) | undefined;
  server.on("request", (_req, res: ServerResponse) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) onQuiet?.();
    });
  });

  const stopAccepting = () => {
    // Stop accepting, but keep open connections: each in-flight or next request is answered with
    // `Connection: close` (see createApp), so no client has its request cut by a closing socket.
    // net.Server's close does exactly that; http.Server's would also drop idle connections at once.
    NetServer.prototype.close.call(server, () => {
      close();
      void sendFinalMetrics(metrics).finally(() => exitWhenLogged(logger, 0));
    });
    // Connections idle since before the drain get a moment to send one more request, then close.
    setTimeout(() => server.closeIdleConnections(), settings.shutdown.idleConnectionGraceMs).unref();
  };

  const drain = ({ replaced }: { replaced: boolean }) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    setTimeout(() => {
      logger.warn("graceful timeout reached: closing open connections");
      server.closeAllConnections();
      void sendFinalMetrics(metrics).finally(() => exitWhenLogged(logger, 0));
    }, settings.shutdown.gracefulTimeoutMs).unref();
    if (replaced) {
      // Other workers listen: connections still waiting to be accepted go to them.
      stopAccepting();
      return;
    }
    // The whole process is stopping: connections waiting in the listen queue (queued behind
    // busy workers) have no one else to go to, and closing the socket would reset them. Keep
    // accepting and answering (with `Connection: close`; readiness fails, so proxies send no new
    // work) until this worker has had nothing in flight for a moment: a free event loop accepts
    // everything queued at once, so a moment is enough, and periodic callers (async-api's outbox
    // poll) cannot keep it open.
    let quiet: NodeJS.Timeout | undefined;
    const armQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        if (inFlight === 0) stopAccepting();
      }, QUIET_MS);
    };
    onQuiet = armQuiet;
    server.on("request", () => clearTimeout(quiet));
    if (inFlight === 0) armQuiet();
  };
  process.on("message", (message: unknown) => {
    if (!isSupervisorMessage(message)) return;
    if (message.type === "drain") drain({ replaced: message.replaced });
    else if (metrics) {
      const { id } = message;
      void metrics.registry.getMetricsAsJSON().then((snapshot) => send({ type: "metrics", id, snapshot }));
    }
  });
  process.on("SIGTERM", () => drain({ replaced: false }));
  process.on("SIGINT", () => drain({ replaced: false }));
  // SIGHUP is the supervisor's (rolling restart); sent to the whole group it must not kill workers.
  process.on("SIGHUP", () => {});
}
