/**
 * async-api's entry point: one process, one event loop. Reads its settings first, so invalid
 * settings stop it before it listens. On SIGTERM/SIGINT it drains: readiness fails, new requests
 * get 503, SSE and WebSocket clients are told to reconnect, in-flight requests finish; then it
 * closes, within the graceful timeout.
 */
import { createLogger, exitWhenLogged, loadOrExit, redact, secretValues } from "@repo/shared-settings";
import { buildApp } from "./http/app.ts";
import { Lifecycle } from "./lifecycle.ts";
import { Outbound } from "./outbound/client.ts";
import { routeTables } from "./routes/index.ts";
import { asyncApiSettings } from "./settings/index.ts";
import { NoteEventsRelay } from "./streams/relay.ts";

const settings = loadOrExit(asyncApiSettings);
const logger = createLogger("async-api", settings.log, secretValues(settings, asyncApiSettings.secrets));
logger.debug({ settings: redact(settings, asyncApiSettings.secrets) }, "settings resolved");

const lifecycle = new Lifecycle();
const outbound = new Outbound(settings.outbound);
const relay = new NoteEventsRelay({
  baseUrl: settings.upstreams[settings.noteEvents.upstream]?.url ?? "",
  outbound,
  logger: logger.child({ component: "note-events" }),
  pollIntervalMs: settings.noteEvents.pollIntervalMs,
  bufferSize: settings.noteEvents.bufferSize,
});
const routes = routeTables[settings.routeTable]({ settings, lifecycle, outbound });
const app = buildApp(settings, routes, logger, { lifecycle, relay });

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
  relay.stop();
  await lifecycle.idle();
  app.log.info("no request in flight: closing");
  await app.close();
  await outbound.close();
  exitWhenLogged(logger, 0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await app.listen({ host: settings.host, port: settings.port });
  relay.start();
} catch (error) {
  app.log.fatal({ err: error }, "cannot listen");
  exitWhenLogged(logger, 1);
}
