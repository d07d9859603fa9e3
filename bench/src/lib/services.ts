/**
 * Everything a scenario starts, through the apps' external interface only: the production builds'
 * start commands (`node dist/main.js`), documented environment variables, and HTTP. Nothing here
 * imports an app, so the bench can measure another checkout's builds (`--apps`) as they are.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ASYNC_PREFIX,
  freePort,
  nginxBinary,
  ONE_CLIENT_LOAD_LIMITS,
  postgresMissing,
  proxyEnvironment,
  startNginx,
  startPostgres,
  waitForHttp,
} from "@repo/testing";
import type { Processes, Started } from "./processes.ts";
import type { BenchContext } from "./scenario.ts";

/** This bench's own checkout (bench/src/lib is three levels down). */
export const benchRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Production has no default secret key; every app started here gets this one. */
const SECRET_KEY = "bench-only-secret-key-0123456789abcdef";

/**
 * Nor a key for bearer tokens: every app started here verifies with these settings (given whole,
 * so that the bench's tokens fit whatever defaults the measured checkout has).
 */
export const BENCH_AUTH = {
  jwtSecret: "bench-only-jwt-secret-0123456789abcdef",
  issuer: "api-starter-bench",
  audience: "api-starter-bench",
  clockToleranceS: 30,
};

/**
 * The auth settings for an app with variable prefix `prefix`, if the measured checkout has them
 * (`--apps` may measure one from before bearer tokens, which would refuse the variables).
 */
function authEnv(context: BenchContext, ...prefixes: string[]): Record<string, string> {
  if (!existsSync(join(context.appsRoot, "packages/shared-settings/src/shared/auth.ts"))) return {};
  return Object.fromEntries(
    prefixes.flatMap((prefix) => [
      [`${prefix}AUTH__JWT_SECRET`, BENCH_AUTH.jwtSecret],
      [`${prefix}AUTH__ISSUER`, BENCH_AUTH.issuer],
      [`${prefix}AUTH__AUDIENCE`, BENCH_AUTH.audience],
    ]),
  );
}

/** Does the measured checkout have metrics (`metrics.port`)? Older commits do not. */
export const hasMetrics = (context: BenchContext) =>
  existsSync(join(context.appsRoot, "packages/shared-settings/src/shared/metrics.ts"));

/** Does it have opt-in tracing (`tracing.enabled`)? */
export const hasTracing = (context: BenchContext) =>
  existsSync(join(context.appsRoot, "packages/shared-settings/src/shared/tracing.ts"));

/**
 * Metrics on, as production has them, each app on a free port of its own (their fixed defaults
 * would collide between the instances a scenario starts), if the measured checkout has metrics.
 */
async function metricsEnv(context: BenchContext, prefix: string): Promise<Record<string, string>> {
  if (!hasMetrics(context)) return {};
  return { [`${prefix}METRICS__PORT`]: String(await freePort()) };
}

export type LogLevel = "debug" | "info" | "warn";

export interface Service {
  readonly name: string;
  /** Where it listens: http://127.0.0.1:<port> */
  readonly origin: string;
  /** Its liveness route, a full URL. */
  readonly health: string;
  /** More liveness routes that must answer too before it is ready (combined mode's async half). */
  readonly otherHealth?: readonly string[];
  readonly process: Started;
  /** performance.now() at spawn. */
  readonly spawnedAt: number;
}

/** Waits for a service's health route to answer 2xx (a minute at most). */
export async function ready(...services: Service[]): Promise<void> {
  await Promise.all(
    services.flatMap((s) =>
      [s.health, ...(s.otherHealth ?? [])].map((url) =>
        waitForHttp(url, { timeoutMs: 60_000, abortIf: s.process.exitReason }),
      ),
    ),
  );
}

function build(context: BenchContext, relative: string): string {
  const file = join(context.appsRoot, relative);
  if (!existsSync(file)) {
    throw new Error(`no production build at ${file}: run \`pnpm build\` there first (\`pnpm bench\` builds it)`);
  }
  return file;
}

function spawnService(
  processes: Processes,
  spec: {
    name: string;
    port: number;
    healthPath: string;
    command: string;
    args: string[];
    cwd: string;
    env: Record<string, string>;
  },
): Service {
  const spawnedAt = performance.now();
  const started = processes.start({
    name: spec.name,
    command: spec.command,
    args: spec.args,
    cwd: spec.cwd,
    env: { NODE_ENV: "production", ...spec.env },
  });
  const origin = `http://127.0.0.1:${spec.port}`;
  return { name: spec.name, origin, health: `${origin}${spec.healthPath}`, process: started, spawnedAt };
}

export interface SyncApiOptions {
  readonly name?: string;
  readonly workers: number;
  readonly logLevel?: LogLevel;
  /** `database.url`: a SQLite file (a new one in the work dir by default) or a postgres:// URL. */
  readonly database?: string;
  /** More SYNC_API_* settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** sync-api's production build, as its image starts it: `node dist/main.js` in the app's folder. */
export async function startSyncApi(context: BenchContext, options: SyncApiOptions): Promise<Service> {
  const port = await freePort();
  const name = options.name ?? "sync-api";
  return spawnService(context.processes, {
    name,
    port,
    healthPath: "/healthz",
    command: process.execPath,
    args: [build(context, "apps/sync-api/dist/main.js")],
    cwd: join(context.appsRoot, "apps/sync-api"),
    env: {
      SYNC_API_SECRET_KEY: SECRET_KEY,
      ...authEnv(context, "SYNC_API_"),
      ...(await metricsEnv(context, "SYNC_API_")),
      SYNC_API_PORT: String(port),
      SYNC_API_WORKERS: String(options.workers),
      SYNC_API_LOG__LEVEL: options.logLevel ?? "info",
      SYNC_API_DATABASE__URL: options.database ?? join(context.workDir, `${name}-${port}.sqlite`),
      // Every load comes from one address: the per-route limits would refuse most of it.
      SYNC_API_RATE_LIMIT__ENABLED: "false",
      ...options.env,
    },
  });
}

export interface AsyncApiOptions {
  readonly name?: string;
  readonly logLevel?: LogLevel;
  /** The sync-api it reports in /async/status (and the examples' relay polls). */
  readonly syncApi: Service;
  readonly heartbeatMs?: number; // #example: the SSE stream's
  /** More ASYNC_API_* settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** async-api's production build, as its image starts it. */
export async function startAsyncApi(context: BenchContext, options: AsyncApiOptions): Promise<Service> {
  const port = await freePort();
  return spawnService(context.processes, {
    name: options.name ?? "async-api",
    port,
    healthPath: `${ASYNC_PREFIX}/healthz`,
    command: process.execPath,
    args: [build(context, "apps/async-api/dist/main.js")],
    cwd: join(context.appsRoot, "apps/async-api"),
    env: {
      ASYNC_API_SECRET_KEY: SECRET_KEY,
      ...authEnv(context, "ASYNC_API_"),
      ...(await metricsEnv(context, "ASYNC_API_")),
      ASYNC_API_PORT: String(port),
      ASYNC_API_LOG__LEVEL: options.logLevel ?? "info",
      ASYNC_API_RATE_LIMIT__ENABLED: "false",
      ASYNC_API_UPSTREAMS: JSON.stringify({ "sync-api": { url: options.syncApi.origin, statusPath: "/readyz" } }),
      ...(options.heartbeatMs ? { ASYNC_API_SSE__HEARTBEAT_INTERVAL_MS: String(options.heartbeatMs) } : {}), // #example
      ...options.env,
    },
  });
}

export interface CombinedOptions {
  readonly name?: string;
  /** Worker threads for the sync handlers (`combined.threads`); ignored inline. */
  readonly threads?: number;
  /** `inline`: the sync handlers on the event loop itself, the naive monolith (`combined.syncHandlers`). */
  readonly syncHandlers?: "pool" | "inline";
  readonly logLevel?: LogLevel;
  readonly heartbeatMs?: number; // #example: the SSE stream's
  /** The SQLite file (a new one in the work dir by default). */
  readonly database?: string;
}

/** Does the measured checkout have combined mode (apps/combined)? Older commits do not. */
export const hasCombined = (context: BenchContext) => existsSync(join(context.appsRoot, "apps/combined/package.json"));

/**
 * Combined mode's production build (`pnpm start:combined`: `node dist/main.js` in apps/combined):
 * the whole API on one port, sync routes at the root, async ones under /async. Its server reads
 * async-api's settings (`ASYNC_API_*`), its sync handlers sync-api's (`SYNC_API_*`).
 */
export async function startCombined(context: BenchContext, options: CombinedOptions = {}): Promise<Service> {
  const port = await freePort();
  const name = options.name ?? "combined";
  const logLevel = options.logLevel ?? "info";
  const service = spawnService(context.processes, {
    name,
    port,
    healthPath: "/healthz",
    command: process.execPath,
    args: [build(context, "apps/combined/dist/main.js")],
    cwd: join(context.appsRoot, "apps/combined"),
    env: {
      ASYNC_API_SECRET_KEY: SECRET_KEY,
      SYNC_API_SECRET_KEY: SECRET_KEY,
      ...authEnv(context, "ASYNC_API_", "SYNC_API_"),
      ...(await metricsEnv(context, "ASYNC_API_")),
      ASYNC_API_COMBINED__PORT: String(port),
      ASYNC_API_RATE_LIMIT__ENABLED: "false",
      ASYNC_API_LOG__LEVEL: logLevel,
      SYNC_API_LOG__LEVEL: logLevel,
      SYNC_API_DATABASE__URL: options.database ?? join(context.workDir, `${name}-${port}.sqlite`),
      // Every load comes from one address: the per-route limits would refuse most of it.
      SYNC_API_RATE_LIMIT__ENABLED: "false",
      ...(options.threads ? { ASYNC_API_COMBINED__THREADS: String(options.threads) } : {}),
      ...(options.syncHandlers ? { ASYNC_API_COMBINED__SYNC_HANDLERS: options.syncHandlers } : {}),
      ...(options.heartbeatMs ? { ASYNC_API_SSE__HEARTBEAT_INTERVAL_MS: String(options.heartbeatMs) } : {}), // #example
    },
  });
  return { ...service, otherHealth: [`${service.origin}${ASYNC_PREFIX}/healthz`] };
}

/**
 * The dev proxy's build (`pnpm start` runs it so), in front of both apps. It reads the apps'
 * settings stacks for their ports, so it gets their variables too.
 */
export async function startDevProxy(context: BenchContext, apps: { sync: Service; async: Service }): Promise<Service> {
  const port = await freePort();
  return spawnService(context.processes, {
    name: "dev-proxy",
    port,
    healthPath: "/healthz",
    command: process.execPath,
    args: [build(context, "packages/dev-proxy/dist/main.js")],
    cwd: join(context.appsRoot, "packages/dev-proxy"),
    env: {
      PORT: String(port),
      SYNC_API_PORT: new URL(apps.sync.origin).port,
      ASYNC_API_PORT: new URL(apps.async.origin).port,
      SYNC_API_SECRET_KEY: SECRET_KEY,
      ASYNC_API_SECRET_KEY: SECRET_KEY,
      ...authEnv(context, "SYNC_API_", "ASYNC_API_"),
    },
  });
}

/** Is nginx installed (Debian's, or $NGINX_PATH)? */
export const hasNginx = () => nginxBinary() !== undefined;

/**
 * nginx on the infra template (this checkout's, also under `--apps`), rendered with the compose
 * proxy service's environment, as @repo/testing's production stack runs it (one worker process,
 * access log off).
 */
export async function startNginxProxy(
  context: BenchContext,
  apps: { sync: Service; async: Service },
): Promise<Service> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const nginx = startNginx({
    ...proxyEnvironment(),
    // The bench loads nginx from one address: its per-client limits would measure 429s.
    ...ONE_CLIENT_LOAD_LIMITS,
    NGINX_PORT: String(port),
    SYNC_API_UPSTREAM: new URL(apps.sync.origin).host,
    ASYNC_API_UPSTREAM: new URL(apps.async.origin).host,
  });
  const started = context.processes.adopt({
    name: "nginx",
    pid: nginx.pid,
    logFile: "(kept in memory by @repo/testing)",
    exitReason: nginx.exitReason,
    stop: (signal = "SIGQUIT", timeoutMs = 10_000) => nginx.stop(signal, timeoutMs),
  });
  const origin = `http://127.0.0.1:${port}`;
  return { name: "nginx", origin, health: `${origin}/healthz`, process: started, spawnedAt };
}

/**
 * Why sync-api cannot be measured on PostgreSQL here, if it cannot: no server binaries on this
 * machine, or a measured checkout (`--apps`) from before sync-api spoke PostgreSQL.
 */
export function postgresAbsent(context: BenchContext): string | undefined {
  if (!existsSync(join(context.appsRoot, "apps/sync-api/src/db/postgres.ts"))) {
    return `${context.appsRoot} is from before sync-api spoke PostgreSQL (no apps/sync-api/src/db/postgres.ts)`;
  }
  return postgresMissing();
}

export interface BenchPostgres {
  /** A database of its own on the server, for `database.url`. */
  readonly url: string;
  /** The postmaster, parent of every connection's backend: its tree is the server's CPU. */
  readonly pid: number;
}

/**
 * A throwaway PostgreSQL server (@repo/testing's: Debian's binaries, a free port of 127.0.0.1,
 * `fsync`/`synchronous_commit` off) with one empty database, stopped and deleted with the
 * scenario's other processes.
 */
export async function startPostgresServer(context: BenchContext): Promise<BenchPostgres> {
  const server = await startPostgres();
  context.processes.adopt({
    name: "postgres",
    pid: server.process.pid,
    logFile: "(kept in memory by @repo/testing)",
    exitReason: () => server.process.exitReason(),
    stop: async () => {
      await server.remove();
      return server.process.exited;
    },
  });
  return { url: server.createDatabase("bench"), pid: server.process.pid };
}

/** The bare servers of bench/src/targets, from source (as `pnpm dev` runs the apps). */
export type TargetName =
  | "express-notes" // #example
  | "express-notes-pg" // #example
  | "node-http"
  | "express-hello"
  | "fastify-hello";

export async function startTarget(
  context: BenchContext,
  target: TargetName,
  env: Readonly<Record<string, string>> = {},
): Promise<Service> {
  const port = await freePort();
  return spawnService(context.processes, {
    name: target,
    port,
    healthPath: target === "fastify-hello" ? `${ASYNC_PREFIX}/healthz` : "/healthz",
    command: process.execPath,
    args: ["--conditions=@repo/source", join(benchRoot, "bench/src/targets", `${target}.ts`)],
    cwd: benchRoot,
    env: { BENCH_PORT: String(port), ...env },
  });
}
