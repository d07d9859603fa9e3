import type { Logger } from "pino";
import { createApp } from "../http/app.ts";
import { openDatabase } from "../notes/database.ts";
import { NotesStore } from "../notes/store.ts";
import { routeTables } from "../routes/index.ts";
import type { SyncApiSettings } from "../settings/index.ts";

/**
 * One worker: the Express app on the shared listening socket. On SIGTERM or SIGINT it stops
 * accepting, lets in-flight requests finish, and exits; past the graceful timeout it cuts them.
 */
export function runWorker(settings: SyncApiSettings, logger: Logger): void {
  // Each worker has its own connection: node:sqlite's DatabaseSync is synchronous, one per process.
  const db = openDatabase(settings.database.path, settings.database);
  const routes = routeTables[settings.routeTable]({ settings, notes: new NotesStore(db) });
  const app = createApp(settings, routes, logger);
  const server = app.listen(settings.port, settings.host, (error?: Error) => {
    if (error) {
      logger.fatal({ err: error }, "worker cannot listen");
      process.exit(1);
    }
  });

  let closing = false;
  const drain = () => {
    if (closing) return;
    closing = true;
    server.close(() => {
      db.close();
      process.exit(0);
    });
    setTimeout(() => {
      logger.warn("graceful timeout reached: closing open connections");
      server.closeAllConnections();
      process.exit(0);
    }, settings.shutdown.gracefulTimeoutMs).unref();
  };
  process.on("SIGTERM", drain);
  process.on("SIGINT", drain);
}
