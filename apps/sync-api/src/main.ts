/**
 * sync-api's entry point. The same file runs as the supervisor (cluster primary) and as each
 * worker; both read the settings first, so invalid settings stop the process before it forks or
 * listens. With `tracing.enabled` on, each worker starts OpenTelemetry before its logger and its
 * app (Express) load: its loader hook instruments only what loads after it. The supervisor serves
 * no request and never starts it; off, no OpenTelemetry module is loaded anywhere.
 */
import cluster from "node:cluster";
import {
  createLogger,
  exitWhenLogged,
  isPostgresUrl,
  loadOrExit,
  postgresUrlSecrets,
  redact,
  secretValues,
} from "@repo/shared-settings";
import { startTracing } from "@repo/tracing";
import { DatabaseNewerThanCode } from "./db/database.ts";
import { databaseWhere } from "./db/open.ts";
import { prepareDatabase } from "./db/prepare.ts";
import { openRateLimitDatabase } from "./http/rate-limit-store.ts";
import { syncApiSettings } from "./settings/index.ts";

const settings = loadOrExit(syncApiSettings);
if (settings.tracing.enabled && cluster.isWorker) await startTracing("sync-api");
// Every secret's value is redacted from the logs; of `database.url`, only what is secret in it.
const logger = createLogger("sync-api", settings.log, [
  ...secretValues(
    settings,
    syncApiSettings.secrets.filter((key) => key !== "database.url"),
  ),
  ...postgresUrlSecrets(settings.database.url),
]);

if (cluster.isPrimary) {
  logger.debug({ settings: redact(settings, syncApiSettings.secrets) }, "settings resolved");
  // Migrations run once, here, before any worker opens the database.
  let migrated = false;
  const database = databaseWhere(settings.database);
  try {
    const { from, to } = prepareDatabase(settings);
    if (from !== to) logger.info({ database, from, to }, "database migrated");
    else logger.debug({ database, version: to }, "database up to date");
    migrated = true;
  } catch (error) {
    // A database newer than this build is one line naming both versions, not a stack.
    if (error instanceof DatabaseNewerThanCode) logger.fatal({ database }, error.message);
    else logger.fatal({ err: error, database }, "cannot open or migrate the database");
    exitWhenLogged(logger, 1);
  }
  // The rate-limit store too: a file no worker could write stops the start here, naming it. (On
  // PostgreSQL the counts are in the database, whose table the migration made.)
  let storeReady = !settings.rateLimit.enabled || isPostgresUrl(settings.database.url);
  if (migrated && !storeReady) {
    try {
      openRateLimitDatabase(settings.rateLimit.path, settings.database).close();
      storeReady = true;
    } catch (error) {
      logger.fatal({ err: error, path: settings.rateLimit.path }, "cannot open the rate-limit store");
      exitWhenLogged(logger, 1);
    }
  }
  // Each side loads only its own code: the supervisor never needs the app, nor a worker the
  // supervisor (a restart under `pnpm dev` pays for one load of the app, not two).
  if (migrated && storeReady) {
    const { Supervisor } = await import("./cluster/supervisor.ts");
    new Supervisor(settings, logger).start();
  }
} else {
  const { runWorker } = await import("./cluster/worker.ts");
  runWorker(settings, logger);
}
