import { type AppProcess, ASYNC_PREFIX, freePort, startApp, testDatabaseUrl, waitForHttp } from "@repo/testing";

export interface RunningApp {
  /** Where its routes are: sync-api's root, async-api's prefix. */
  readonly url: string;
  readonly process: AppProcess;
}

/**
 * sync-api (one worker, its database in `dir` or on the run's PostgreSQL: testDatabaseUrl) and async-api, started side by side under
 * NODE_ENV=test (their `test` route tables) and answering: for the same requests to both. `env`:
 * variables for each app over these.
 */
export async function startBothApps(
  dir: string,
  env: { readonly sync?: Record<string, string>; readonly async?: Record<string, string> } = {},
): Promise<Record<"sync" | "async", RunningApp>> {
  const [syncPort, asyncPort] = await Promise.all([freePort(), freePort()]);
  const sync = startApp("sync-api", {
    env: {
      SYNC_API_PORT: String(syncPort),
      SYNC_API_WORKERS: "1",
      SYNC_API_DATABASE__URL: testDatabaseUrl(dir),
      SYNC_API_LOG__LEVEL: "fatal",
      ...env.sync,
    },
  });
  const async = startApp("async-api", {
    env: { ASYNC_API_PORT: String(asyncPort), ASYNC_API_LOG__LEVEL: "fatal", ...env.async },
  });
  const apps = {
    sync: { url: `http://127.0.0.1:${syncPort}`, process: sync },
    async: { url: `http://127.0.0.1:${asyncPort}${ASYNC_PREFIX}`, process: async },
  };
  await waitForHttp(`${apps.sync.url}/healthz`, { abortIf: sync.exitReason });
  await waitForHttp(`${apps.async.url}/healthz`, { abortIf: async.exitReason });
  return apps;
}
