/**
 * async-api's server and its life: the app, its parts, listening, and the drain on SIGTERM/SIGINT
 * (readiness fails, new requests get 503, open streams are told to reconnect,
 * in-flight requests finish; then it closes, within the graceful timeout). async-api's entry point
 * runs it as it is; combined mode (apps/combined) adds sync-api's half of the API at the root.
 */

import { type HttpMetrics, type MetricsServer, type Registry, registryExposition, serveScrapes } from "@repo/metrics";
import {
  createLogger,
  environmentOf,
  exitWhenLogged,
  isPostgresUrl, // #example
  listenFailure,
  postgresUrlSecrets, // #example
  redact,
  secretValues,
} from "@repo/shared-settings";
import type { Logger } from "pino";
import { type AppParts, buildApp } from "./http/app.ts";
import { EventLoopDelay, EventLoopGuard } from "./http/event-loop.ts";
import { Lifecycle } from "./lifecycle.ts";
import { createAsyncApiMetrics } from "./metrics.ts";
import { Outbound } from "./outbound/client.ts";
import { routeTables } from "./routes/index.ts";
import { type AsyncApiSettings, asyncApiSettings, loopbackUpstreamWarnings } from "./settings/index.ts";
import { NoteEventsListener } from "./streams/note-listener.ts"; // #example
import { type FeedReader, NoteEventsRelay } from "./streams/relay.ts"; // #example

export type { FeedReader } from "./streams/relay.ts"; // #example

export interface AsyncServerOptions {
  /** The process's name in its log lines. */
  readonly name?: string;
  /** Where to listen, and the variable that moves it; the `host` and `port` settings when left out. */
  readonly listen?: { readonly host: string; readonly port: number; readonly portVariable: string };
  /** More routes at the root, outside the async prefix (combined mode's sync half). */
  readonly root?: AppParts["root"];
  /** Their readiness paths, which answer for themselves while draining. */
  readonly readinessPaths?: readonly string[];
  // #region example
  /**
   * Reads the note-events feed instead of the outbound HTTP client: combined mode, whose sync
   * routes (the internal feed among them) are in this process and not served to the public.
   */
  readonly noteEventsFeed?: FeedReader;
  // #endregion example
  /** Registers more metrics in the process's registry, when metrics are on (combined mode's pool). */
  readonly registerMetrics?: (registry: Registry) => void;
  /** Runs as the drain begins (combined mode: sync-api's readiness fails too). */
  readonly onDrain?: () => void;
  /** Runs once in-flight requests are done, before the server closes (combined mode's pool). */
  readonly onDrained?: () => Promise<void>;
}

/** Builds the server, listens, and drains on SIGTERM/SIGINT. Exits the process when done. */
export async function runAsyncServer(settings: AsyncApiSettings, options: AsyncServerOptions = {}): Promise<void> {
  const logger = createLogger(options.name ?? "async-api", settings.log, [
    ...secretValues(settings, asyncApiSettings.secrets),
    ...postgresUrlSecrets(settings.noteEvents.listenUrl), // #example
  ]);
  logger.debug({ settings: redact(settings, asyncApiSettings.secrets) }, "settings resolved");
  if (environmentOf(process.env) === "production") {
    for (const warning of loopbackUpstreamWarnings(asyncApiSettings.resolve(process.env))) logger.warn(warning);
  }

  const lifecycle = new Lifecycle();
  const outbound = new Outbound(settings.outbound, settings);
  const metrics = settings.metrics.port > 0 ? createAsyncApiMetrics(lifecycle) : undefined;
  if (metrics) {
    outbound.observe(metrics.outboundCall);
    options.registerMetrics?.(metrics.http.registry);
  }
  const loop = new EventLoopDelay(settings.eventLoop);
  const guard = new EventLoopGuard(settings.eventLoop, logger);
  // #region example
  const relay = new NoteEventsRelay({
    baseUrl: settings.upstreams[settings.noteEvents.upstream]?.url ?? "",
    outbound: options.noteEventsFeed ?? outbound,
    logger: logger.child({ component: "note-events" }),
    pollIntervalMs: settings.noteEvents.pollIntervalMs,
    listeningPollIntervalMs: settings.noteEvents.listeningPollIntervalMs,
    bufferSize: settings.noteEvents.bufferSize,
    pageSize: settings.noteEvents.pageSize,
  });
  // On PostgreSQL, a LISTEN connection wakes the relay as each note change commits.
  const listener = isPostgresUrl(settings.noteEvents.listenUrl)
    ? new NoteEventsListener({
        url: settings.noteEvents.listenUrl,
        relay,
        logger: logger.child({ component: "note-events" }),
      })
    : undefined;
  // #endregion example
  const routes = routeTables[settings.routeTable]({ settings, lifecycle, outbound, loop });
  const app = buildApp(settings, routes, logger, {
    lifecycle,
    ...(metrics ? { metrics: metrics.http } : {}),
    relay, // #example
    guard,
    ...(options.root ? { root: options.root } : {}),
    ...(options.readinessPaths ? { readinessPaths: options.readinessPaths } : {}),
  });

  let metricsServer: MetricsServer | undefined;
  let closing = false;
  async function shutdown(signal: string) {
    if (closing) return;
    closing = true;
    app.log.info({ signal, streams: lifecycle.openStreams, inFlight: lifecycle.inFlight }, "stopping: draining");
    setTimeout(() => {
      app.log.warn("graceful timeout reached: exiting with requests still open");
      exitWhenLogged(logger, 1);
    }, settings.shutdown.gracefulTimeoutMs).unref();
    // Keep listening while in-flight requests finish: readiness fails and new requests get 503, so
    // the proxy and orchestrators move traffic elsewhere. Then close.
    lifecycle.drain();
    options.onDrain?.();
    relay.stop(); // #example
    const listenerStopped = listener?.stop(); // #example
    await lifecycle.idle();
    app.log.info("no request in flight: closing");
    await options.onDrained?.();
    // Every request is answered; the connections left have none in flight (idle, after an odd
    // Upgrade, or a head not yet complete), and server.close would wait on them up to the
    // request timeout, then the graceful timeout would exit 1.
    app.server.closeAllConnections();
    await app.close();
    await metricsServer?.close();
    await outbound.close();
    await listenerStopped; // #example
    loop.stop();
    exitWhenLogged(logger, 0);
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  const { host, port, portVariable } = options.listen ?? {
    host: settings.host,
    port: settings.port,
    portVariable: asyncApiSettings.variable(["port"]),
  };
  try {
    await app.listen({ host, port });
    if (metrics) metricsServer = await serveMetricsFor(settings, metrics.http, logger);
    relay.start(); // #example
    listener?.start(); // #example
  } catch (error) {
    const known = listenFailure(error, {
      host,
      port,
      variables: { host: asyncApiSettings.variable(["host"]), port: portVariable },
    });
    if (known) app.log.fatal(known);
    else app.log.fatal({ err: error }, "cannot listen");
    exitWhenLogged(logger, 1);
  }
}

/** `GET /metrics` on `metrics.port`; a port it cannot have is one error line, and the API serves on. */
function serveMetricsFor(settings: AsyncApiSettings, metrics: HttpMetrics, logger: Logger) {
  const { host } = settings;
  const { port } = settings.metrics;
  return serveScrapes({
    host,
    port,
    collect: registryExposition(metrics.registry),
    log: logger,
    variables: { host: asyncApiSettings.variable(["host"]), port: asyncApiSettings.variable(["metrics", "port"]) },
  });
}
