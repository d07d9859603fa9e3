/**
 * The proxy of `pnpm dev` and `pnpm start`. It reads the two apps' own settings stacks, so it
 * sends requests exactly where the apps listen, with the same SYNC_API_* / ASYNC_API_* variables.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { asyncApiSettings } from "@repo/async-api/settings";
import { api, asyncHealth, internalPaths, status, syncHealth } from "@repo/contracts";
import { createLogger, exitWhenLogged, listenFailure, loadOrExit, withoutAccessToken } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";
import { createDevProxy } from "./proxy.ts";
import { RestartHold } from "./restart-hold.ts";
import { proxySettings, targetOf } from "./settings.ts";

const settings = loadOrExit(proxySettings);
const sync = loadOrExit(syncApiSettings);
const async = loadOrExit(asyncApiSettings);
const logger = createLogger("dev-proxy", settings.log);

let announced = false;
const server = createDevProxy({
  asyncPrefix: async.asyncPrefix,
  internalPaths: internalPaths([...api.sync, ...api.async], async.asyncPrefix),
  syncTarget: targetOf(sync),
  asyncTarget: targetOf(async),
  bodyLimitBytes: { sync: sync.http.bodyLimitBytes, async: async.http.bodyLimitBytes },
  upstreamProblemPaths: [`${async.asyncPrefix}${status.endpoints.status.path}`],
  // A save restarts an app: its requests wait for it, with one line each way, not one per request.
  restartHold: new RestartHold({
    holdMs: settings.restartHoldMs,
    readinessPaths: new Map([
      [targetOf(sync), syncHealth.endpoints.ready.path],
      [targetOf(async), `${async.asyncPrefix}${asyncHealth.endpoints.ready.path}`],
    ]),
    onDown: (upstream, starting) =>
      logger.info({ upstream }, `${upstream} is ${starting ? "starting" : "restarting"}: holding its requests`),
    onBack: (upstream, downMs, starting) =>
      logger.info({ upstream, downMs }, `${upstream} is ${starting ? "up" : "back"} after ${downMs} ms`),
  }),
  // Until both apps are up (the banner), an app that does not answer yet is expected: debug only.
  onUpstreamError: (error, upstream, url) =>
    logger[announced ? "warn" : "debug"](
      { upstream, url: withoutAccessToken(url), code: (error as NodeJS.ErrnoException).code },
      `${upstream} is not reachable: ${error.message}`,
    ),
});

server.on("error", (error) => {
  const known = listenFailure(error, {
    ...settings,
    variables: { host: proxySettings.variable(["host"]), port: proxySettings.variable(["port"]) },
  });
  if (known) logger.fatal(known);
  else logger.fatal({ err: error }, "cannot listen");
  exitWhenLogged(logger, 1);
});
server.listen(settings.port, settings.host, () => void announceWhenUp());

/**
 * The banner, once both apps answer their health routes: the last line of a `pnpm dev` start,
 * so it does not scroll away under the apps' own start-up lines.
 */
async function announceWhenUp(): Promise<void> {
  const healthUrls = [`${targetOf(sync)}/healthz`, `${targetOf(async)}${async.asyncPrefix}/healthz`];
  const up = (url: string) =>
    fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
  while (!closing && !(await Promise.all(healthUrls.map(up))).every(Boolean)) await sleep(250);
  if (closing) return;
  announced = true;
  const host = ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(settings.host) ? "localhost" : settings.host;
  const origin = `http://${host}:${settings.port}`;
  process.stdout.write(
    [
      "",
      ...(sync.welcomePage ? [`  ➜  Open ${origin}/        the welcome page: both runtimes, live`] : []), // #example
      // Only what this environment serves: production turns the reference off by default.
      sync.apiReference
        ? `  ➜  API reference ${origin}/docs`
        : `  ➜  API reference off (${syncApiSettings.variable(["apiReference"])}=true serves it at /docs)`,
      `     ${async.asyncPrefix}/* → async-api ${targetOf(async)}, everything else → sync-api ${targetOf(sync)}`,
      "",
      "",
    ].join("\n"),
  );
}

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
