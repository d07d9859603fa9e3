import { randomInt } from "node:crypto";
import type { Server } from "node:http";
import { Server as NetServer } from "node:net";
import type { Logger } from "pino";
import { createApp } from "../http/app.ts";
import { openDatabase } from "../notes/database.ts";
import { NotesStore } from "../notes/store.ts";
import { routeTables } from "../routes/index.ts";
import type { SyncApiSettings } from "../settings/index.ts";
import { isSupervisorMessage, type WorkerMessage } from "./messages.ts";

/** What the rest of the worker may ask about its life: readiness reads it. */
export interface Lifecycle {
  readonly draining: boolean;
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/**
 * One worker: the Express app on the shared listening socket. It beats a heartbeat from its event
 * loop, tells the supervisor which request a handler is running, retires after `maxRequests`, and
 * drains on the supervisor's word or on SIGTERM/SIGINT.
 */
export function runWorker(settings: SyncApiSettings, logger: Logger): void {
  // Each worker has its own connection: node:sqlite's DatabaseSync is synchronous, one per process.
  const db = openDatabase(settings.database.path, settings.database);
  const lifecycle = { draining: false };
  const routes = routeTables[settings.routeTable]({ settings, notes: new NotesStore(db), lifecycle });

  const { maxRequests, maxRequestsJitter, workerTimeoutMs } = settings.cluster;
  const retireAfter = maxRequests > 0 ? maxRequests + randomInt(0, maxRequestsJitter + 1) : Number.POSITIVE_INFINITY;
  let served = 0;

  const app = createApp(settings, routes, logger, {
    isDraining: () => lifecycle.draining,
    onHandlerStart: (request) => send({ type: "serving", request }),
    onResponseFinished: () => {
      served++;
      if (served === retireAfter) send({ type: "retire", served });
    },
  });
  const server: Server = app.listen(settings.port, settings.host, (error?: Error) => {
    if (error) {
      logger.fatal({ err: error }, "worker cannot listen");
      process.exit(1);
    }
  });
  // Behind a proxy: never close an idle connection the proxy may be about to reuse.
  server.keepAliveTimeout = settings.http.keepAliveTimeoutMs;
  server.headersTimeout = settings.http.keepAliveTimeoutMs + 1_000;
  server.requestTimeout = settings.http.requestTimeoutMs;

  if (workerTimeoutMs > 0) {
    setInterval(() => send({ type: "heartbeat" }), Math.max(50, Math.min(1_000, workerTimeoutMs / 4))).unref();
  }

  const drain = () => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    // Stop accepting, but keep open connections: each in-flight or next request is answered with
    // `Connection: close` (see createApp), so no client has its request cut by a closing socket.
    // net.Server's close does exactly that; http.Server's would also drop idle connections at once.
    NetServer.prototype.close.call(server, () => {
      db.close();
      process.exit(0);
    });
    // Connections idle since before the drain get a moment to send one more request, then close.
    setTimeout(() => server.closeIdleConnections(), settings.shutdown.idleConnectionGraceMs).unref();
    setTimeout(() => {
      logger.warn("graceful timeout reached: closing open connections");
      server.closeAllConnections();
      process.exit(0);
    }, settings.shutdown.gracefulTimeoutMs).unref();
  };
  process.on("message", (message: unknown) => {
    if (isSupervisorMessage(message)) drain();
  });
  process.on("SIGTERM", drain);
  process.on("SIGINT", drain);
  // SIGHUP is the supervisor's (rolling restart); sent to the whole group it must not kill workers.
  process.on("SIGHUP", () => {});
}
