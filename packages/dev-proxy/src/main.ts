/**
 * The proxy of `pnpm dev` and `pnpm start`. It reads the two apps' own settings stacks, so it
 * sends requests exactly where the apps listen, with the same SYNC_API_* / ASYNC_API_* variables.
 */
import { asyncApiSettings } from "@repo/async-api/settings";
import { createLogger, exitWhenLogged, loadOrExit } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";
import { createDevProxy } from "./proxy.ts";
import { proxySettings, targetOf } from "./settings.ts";

const settings = loadOrExit(proxySettings);
const sync = loadOrExit(syncApiSettings);
const async = loadOrExit(asyncApiSettings);
const logger = createLogger("dev-proxy", settings.log);

const server = createDevProxy({
  asyncPrefix: async.asyncPrefix,
  syncTarget: targetOf(sync),
  asyncTarget: targetOf(async),
  bodyLimitBytes: { sync: sync.http.bodyLimitBytes, async: async.http.bodyLimitBytes },
  onUpstreamError: (error, upstream, url) => logger.warn({ err: error, upstream, url }, `${upstream} is not reachable`),
});

server.on("error", (error) => {
  logger.fatal({ err: error }, "cannot listen");
  exitWhenLogged(logger, 1);
});
server.listen(settings.port, settings.host, () => {
  const shown = ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(settings.host) ? "localhost" : settings.host;
  process.stdout.write(
    `\n  ➜  Open http://${shown}:${settings.port}   ` +
      `(${async.asyncPrefix}/* → async-api ${targetOf(async)}, everything else → sync-api ${targetOf(sync)})\n\n`,
  );
});

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => exitWhenLogged(logger, 0));
  server.closeIdleConnections();
  setTimeout(() => exitWhenLogged(logger, 0), settings.shutdown.gracefulTimeoutMs).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
