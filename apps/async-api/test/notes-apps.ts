/**
 * sync-api (one worker) and async-api relaying its note feed, started side by side from their
 * sources, once both answer: for the tests of the streams (streams.test.ts, on SQLite;
 * streams-postgres.test.ts, on PostgreSQL). `env`: variables for each app over these.
 */
import { createClient, notes } from "@repo/contracts";
import { ASYNC_PREFIX, freePort, startApp, waitForHttp } from "@repo/testing";

export async function startNotesApps(
  token: string,
  env: { readonly sync: Record<string, string>; readonly async: Record<string, string> },
) {
  const [syncPort, asyncPort] = await Promise.all([freePort(), freePort()]);
  const sync = startApp("sync-api", {
    env: { SYNC_API_PORT: String(syncPort), SYNC_API_WORKERS: "1", ...env.sync },
  });
  const async = startApp("async-api", {
    env: {
      ASYNC_API_PORT: String(asyncPort),
      ASYNC_API_UPSTREAMS: JSON.stringify({
        "sync-api": { url: `http://127.0.0.1:${syncPort}`, statusPath: "/readyz" },
      }),
      ...env.async,
    },
  });
  const syncUrl = `http://127.0.0.1:${syncPort}`;
  const asyncUrl = `http://127.0.0.1:${asyncPort}${ASYNC_PREFIX}`;
  await waitForHttp(`${syncUrl}/healthz`, { abortIf: sync.exitReason });
  await waitForHttp(`${asyncUrl}/healthz`, { abortIf: async.exitReason });
  return { sync, async, syncUrl, asyncUrl, notesApi: createClient({ baseUrl: syncUrl, token }).controller(notes) };
}
