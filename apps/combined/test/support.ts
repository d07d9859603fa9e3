import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startApp, waitForHttp } from "@repo/testing";

/**
 * Combined mode on a free port (given as `PORT`, as a user moves `pnpm start:combined`), two
 * threads, a database of its own; once it answers.
 */
export async function startCombined(env: Record<string, string> = {}) {
  const port = await freePort();
  const database = join(mkdtempSync(join(tmpdir(), "combined-")), "sync-api.sqlite");
  const app = startApp("combined", {
    env: {
      PORT: String(port),
      ASYNC_API_COMBINED__THREADS: "2",
      SYNC_API_DATABASE__URL: database,
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
  return { app, url };
}
