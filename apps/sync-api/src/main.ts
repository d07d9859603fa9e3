/**
 * sync-api's entry point. The same file runs as the supervisor (cluster primary) and as each
 * worker; both read the settings first, so invalid settings stop the process before it forks.
 */
import cluster from "node:cluster";
import { loadOrExit, loggerOptions } from "@repo/shared-settings";
import { pino } from "pino";
import { runPrimary } from "./cluster/primary.ts";
import { runWorker } from "./cluster/worker.ts";
import { syncApiSettings } from "./settings/index.ts";

const settings = loadOrExit(syncApiSettings);
const logger = pino(loggerOptions("sync-api", settings.log));

if (cluster.isPrimary) runPrimary(settings, logger);
else runWorker(settings, logger);
