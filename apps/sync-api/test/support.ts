import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, logLines, startApp, waitFor, waitForHttp } from "@repo/testing";

/**
 * sync-api on a free port with its own SQLite file, once every worker listens (the supervisor
 * says so in one line at info level; these runs log at debug unless told otherwise).
 */
export async function startSyncApi(workers: number, env: Record<string, string> = {}) {
  const port = await freePort();
  const app = startApp("sync-api", {
    env: {
      SYNC_API_PORT: String(port),
      SYNC_API_WORKERS: String(workers),
      SYNC_API_LOG__LEVEL: "debug",
      SYNC_API_DATABASE__URL: join(mkdtempSync(join(tmpdir(), "sync-api-")), "sync-api.sqlite"),
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "all workers listening",
    async () => (logLines(app).some((l) => String(l.msg).startsWith("sync-api listening")) ? true : undefined),
    // As long as waitForHttp gives a start: workers take seconds each on a loaded machine.
    { timeoutMs: 60_000, abortIf: app.exitReason },
  );
  await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
  return { app, url, port };
}
