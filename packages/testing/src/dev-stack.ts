import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveAsyncPrefix } from "@repo/shared-settings";
import { freePort } from "./ports.ts";
import { type AppProcess, killIfFails, type StartOptions, startApp } from "./process.ts";
import { descendantsOf } from "./process-tree.ts";
import { startStandIns } from "./stand-ins.ts";
import { testDatabaseUrl } from "./test-database.ts";
import { waitFor, waitForHttp } from "./wait.ts";

export interface DevStack {
  /** The dev proxy's origin: both apps behind it, as in `pnpm dev`. */
  readonly url: string;
  /** async-api's prefix in this stack: `ASYNC_PREFIX` of its env, or the test run's. */
  readonly asyncPrefix: string;
  /** Each app's own origin (async-api's without its prefix). */
  readonly syncUrl: string;
  readonly asyncUrl: string;
  /** sync-api's `database.url`: its SQLite file, or its database on the run's PostgreSQL server. */
  readonly databaseUrl: string;
  readonly processes: Readonly<Record<"sync-api" | "async-api" | "dev-proxy", AppProcess>>;
  /** sync-api's worker pids right now. */
  workers(): number[];
  /** Why a process of the stack is gone, or undefined while all run. */
  exitReason(): string | undefined;
  /** SIGTERM to all three (SIGKILL past `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

export interface DevStackOptions {
  readonly syncWorkers?: number;
  /** sync-api's `database.url`; a fresh one when not given (testDatabaseUrl: SQLite, or the run's PostgreSQL). */
  readonly databaseUrl?: string;
  /** Variables for all three processes (the proxy reads both apps' settings too). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Variables for one process only. */
  readonly syncEnv?: Readonly<Record<string, string | undefined>>;
  readonly asyncEnv?: Readonly<Record<string, string | undefined>>;
  /** More upstreams for async-api, beside this stack's sync-api (`ASYNC_API_UPSTREAMS`). */
  readonly upstreams?: Readonly<Record<string, { readonly url: string; readonly statusPath: string }>>;
}

/**
 * The three processes of `pnpm dev` (sync-api, async-api, the dev proxy) from source on free
 * ports, once all of sync-api's workers listen and both apps answer through the proxy. Logs at
 * `warn`, so what a test reads in the output is what went wrong. Stopped by `stopAll` too.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const [proxyPort, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const standIns = await startStandIns();
  const workers = options.syncWorkers ?? 2;
  const databaseUrl = options.databaseUrl ?? testDatabaseUrl(mkdtempSync(join(tmpdir(), "dev-stack-")));
  const syncUrl = `http://127.0.0.1:${syncPort}`;
  const env: StartOptions["env"] = {
    PORT: String(proxyPort),
    SYNC_API_PORT: String(syncPort),
    SYNC_API_WORKERS: String(workers),
    SYNC_API_DATABASE__URL: databaseUrl,
    SYNC_API_LOG__LEVEL: "warn",
    ASYNC_API_PORT: String(asyncPort),
    ASYNC_API_LOG__LEVEL: "warn",
    // No URL for sync-api: async-api's follows SYNC_API_PORT, as in `pnpm dev` with a moved port.
    // The other upstreams are their stand-ins (stand-ins.ts), and the test's own.
    ASYNC_API_UPSTREAMS: JSON.stringify({ ...standIns.upstreams, ...options.upstreams }),
    PROXY_LOG__LEVEL: "warn",
    ...options.env,
  };
  const asyncPrefix = resolveAsyncPrefix({ ...process.env, ...options.env });
  const sync = startApp("sync-api", { env: { ...env, ...options.syncEnv } });
  const async = startApp("async-api", { env: { ...env, ...options.asyncEnv } });
  const proxy = startApp("dev-proxy", { env });
  const processes = { "sync-api": sync, "async-api": async, "dev-proxy": proxy };
  const exitReason = () => sync.exitReason() ?? async.exitReason() ?? proxy.exitReason();
  const url = `http://127.0.0.1:${proxyPort}`;
  const workerPids = () => descendantsOf(sync.pid);
  // What a failed start-up started is stopped here, not left to the caller.
  await killIfFails([sync, async, proxy], async () => {
    // (The stand-ins' servers do not hold the test runner open: they are unref'd.)
    await waitForHttp(`${url}/healthz`, { timeoutMs: 60_000, abortIf: exitReason });
    await waitForHttp(`${url}${asyncPrefix}/healthz`, { timeoutMs: 60_000, abortIf: exitReason });
    await waitFor("every sync-api worker", async () => (workerPids().length === workers ? true : undefined), {
      timeoutMs: 30_000,
      abortIf: exitReason,
    });
  });
  return {
    url,
    asyncPrefix,
    syncUrl,
    asyncUrl: `http://127.0.0.1:${asyncPort}`,
    databaseUrl,
    processes,
    workers: workerPids,
    exitReason,
    async stop(timeoutMs = 15_000) {
      await Promise.all([proxy.stop("SIGTERM", timeoutMs), async.stop("SIGTERM", timeoutMs)]);
      await sync.stop("SIGTERM", timeoutMs);
      await standIns.close();
    },
  };
}
