/**
 * async-api's entry point: one process, one event loop. Reads its settings first, so invalid
 * settings stop it before it listens; on SIGTERM/SIGINT it closes (in-flight requests finish).
 */
import { loadOrExit, loggerOptions, redact, secretValues } from "@repo/shared-settings";
import { pino } from "pino";
import { buildApp } from "./http/app.ts";
import { routeTables } from "./routes/index.ts";
import { asyncApiSettings } from "./settings/index.ts";

const settings = loadOrExit(asyncApiSettings);
const logger = pino(loggerOptions("async-api", settings.log, secretValues(settings, asyncApiSettings.secrets)));
logger.debug({ settings: redact(settings, asyncApiSettings.secrets) }, "settings resolved");

const routes = routeTables[settings.routeTable];
const app = buildApp(settings, routes, logger);

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, "stopping: closing the server");
  setTimeout(() => {
    app.log.warn("graceful timeout reached: exiting with requests still open");
    process.exit(1);
  }, settings.shutdown.gracefulTimeoutMs).unref();
  await app.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await app.listen({ host: settings.host, port: settings.port });
} catch (error) {
  app.log.fatal({ err: error }, "cannot listen");
  process.exit(1);
}
