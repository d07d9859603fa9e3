/**
 * sync-api's entry point. The same file runs as the supervisor (cluster primary) and as each
 * worker; both read the settings and pick the route table first, so a mistake in either stops
 * the process before it forks or listens.
 */
import cluster from "node:cluster";
import { loadOrExit, loggerOptions, redact, secretValues } from "@repo/shared-settings";
import { pino } from "pino";
import { runPrimary } from "./cluster/primary.ts";
import { runWorker } from "./cluster/worker.ts";
import { routeTables } from "./routes/index.ts";
import { syncApiSettings } from "./settings/index.ts";

const settings = loadOrExit(syncApiSettings);
const logger = pino(loggerOptions("sync-api", settings.log, secretValues(settings, syncApiSettings.secrets)));

const routes = routeTables[settings.routeTable];

if (cluster.isPrimary) {
  logger.debug({ settings: redact(settings, syncApiSettings.secrets) }, "settings resolved");
  runPrimary(settings, logger);
} else {
  runWorker(settings, routes, logger);
}
