import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { parse as parseYaml } from "yaml";
import { ASYNC_PREFIX } from "./async-prefix.ts";
import { startNginx } from "./nginx.ts";
import { freePort } from "./ports.ts";
import { type AppProcess, killIfFails, repoRoot, startProcess } from "./process.ts";
import { startStandIns } from "./stand-ins.ts";
import { testDatabaseUrl } from "./test-database.ts";
import { waitForHttp } from "./wait.ts";

const APPS = ["sync-api", "async-api"] as const;
type App = (typeof APPS)[number];

/** The final stage's CMD of infra/docker/Dockerfile: how every app image starts. */
export function imageCommand(): string[] {
  const dockerfile = readFileSync(join(repoRoot, "infra/docker/Dockerfile"), "utf8");
  const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
  if (!cmd) throw new Error("infra/docker/Dockerfile has no CMD in exec form");
  return JSON.parse(cmd) as string[];
}

export interface ComposeService {
  readonly image?: string;
  readonly profiles?: readonly string[];
  readonly command?: readonly string[];
  readonly user?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly args?: Record<string, string> };
  readonly ports?: readonly string[];
  readonly expose?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly env_file?: string;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly volumes?: readonly string[];
  readonly secrets?: readonly string[];
  readonly restart?: string;
  readonly stop_grace_period?: string;
  readonly deploy?: { readonly resources?: { readonly limits?: Readonly<Record<string, string>> } };
  readonly networks?: Readonly<Record<string, { readonly ipv4_address?: string } | null>>;
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
  readonly secrets?: Readonly<Record<string, unknown>>;
  readonly networks?: Readonly<
    Record<string, { readonly ipam?: { readonly config?: readonly { subnet?: string; ip_range?: string }[] } }>
  >;
}

/** A compose file of infra/, parsed, not interpolated: docker-compose.yml unless another is named. */
export function composeFile(file = "docker-compose.yml"): ComposeFile {
  return infraYaml(file) as ComposeFile;
}

/** A YAML file of infra/ (a compose file, Prometheus's configuration or rules), parsed. */
export function infraYaml(file: string): unknown {
  return parseYaml(readFileSync(join(repoRoot, "infra", file), "utf8"));
}

/**
 * The proxy service's environment as compose gives it (serviceEnv): nginx's template variables.
 */
export function proxyEnvironment(compose: ComposeFile = composeFile()): Record<string, string> {
  return serviceEnv(compose.services.proxy as ComposeService);
}

/**
 * A service's environment as compose gives it: its env file (relative to infra/), then its
 * `environment`, with compose's `${NAME}` and `${NAME:-default}` taken from this process's
 * variables (where compose takes them from the shell and infra/.env).
 */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const file = service.env_file
    ? (parseEnv(readFileSync(join(repoRoot, "infra", service.env_file), "utf8")) as Record<string, string>)
    : {};
  const interpolate = (value: string) =>
    value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const set = process.env[name];
      return set === undefined || set === "" ? (fallback ?? "") : set;
    });
  const environment = Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(value)]);
  return { ...file, ...Object.fromEntries(environment) };
}

export interface ProductionStack {
  /** The proxy's origin: nginx with the infra template, in front of both apps. */
  readonly url: string;
  /** async-api's prefix, the test run's `ASYNC_PREFIX` (compose's too). */
  readonly asyncPrefix: string;
  readonly processes: Readonly<Record<App | "nginx", AppProcess>>;
  stop(): Promise<void>;
}

/** The key the production stack verifies bearer tokens with: tests sign their tokens with it. */
export const PRODUCTION_STACK_JWT_SECRET = "production-stack-jwt-secret-0123456789abcdef";

/**
 * The docker-compose topology without Docker: each app's production build deployed with only its
 * production dependencies (`pnpm deploy --prod`, as the image does), started with the image's CMD
 * and its compose env file, and Debian's nginx running the rendered infra template in front with
 * the proxy service's environment. What differs from compose is only what a machine without
 * containers must change: loopback addresses (nginx's too, the hop the apps trust), free ports,
 * a scratch SQLite file, the secret's path.
 */
export async function startProductionStack({
  proxyPort,
  nginx: nginxOverrides = {},
  env: appOverrides = {},
}: {
  proxyPort?: number;
  /** Variables for both apps over their env files (each reads its own prefix). */
  env?: Readonly<Record<string, string>>;
  /** Template variables over the proxy service's environment (ONE_CLIENT_LOAD_LIMITS for a load test). */
  nginx?: Readonly<Record<string, string>>;
} = {}): Promise<ProductionStack> {
  const workdir = mkdtempSync(join(tmpdir(), "production-stack-"));
  const compose = composeFile();
  execFileSync("pnpm", ["build", ...APPS.map((app) => `--filter=@repo/${app}`)], { cwd: repoRoot, stdio: "ignore" });
  for (const app of APPS) {
    execFileSync("pnpm", ["--filter", `@repo/${app}`, "deploy", "--prod", join(workdir, app)], {
      cwd: repoRoot,
      stdio: "ignore",
    });
  }
  const secretFile = join(workdir, "secret_key");
  writeFileSync(secretFile, "production-stack-secret-key-0123456789abcdef\n");
  const jwtSecretFile = join(workdir, "jwt_secret");
  writeFileSync(jwtSecretFile, `${PRODUCTION_STACK_JWT_SECRET}\n`);
  const databaseUrlFile = join(workdir, "database_url");
  writeFileSync(databaseUrlFile, `${testDatabaseUrl(workdir)}\n`);
  const [syncPort, asyncPort, nginxPort] = await Promise.all([freePort(), freePort(), proxyPort ?? freePort()]);
  const standIns = await startStandIns();
  const [command, ...args] = imageCommand() as [string, ...string[]];
  const start = (app: App, overrides: Record<string, string>) => {
    const env = serviceEnv(compose.services[app] as ComposeService);
    // What reads the database_url secret (sync-api's database; async-api's LISTEN, with the
    // examples) reads this run's file instead, as compose gives the secret.
    const databaseSecret = Object.fromEntries(
      Object.entries(env)
        .filter(([, value]) => value === "/run/secrets/database_url")
        .map(([key]) => [key, databaseUrlFile]),
    );
    return startProcess(command === "node" ? process.execPath : command, args, {
      cwd: join(workdir, app),
      // Nothing from the test runner's own Node options (the source condition): as in the image.
      env: { ...env, ...databaseSecret, ...appOverrides, ...overrides, NODE_OPTIONS: undefined },
    });
  };

  const sync = start("sync-api", {
    SYNC_API_HOST: "127.0.0.1",
    SYNC_API_PORT: String(syncPort),
    SYNC_API_SECRET_KEY_FILE: secretFile,
    SYNC_API_RATE_LIMIT__PATH: join(workdir, "rate-limit.sqlite"),
    // The suites run through it send hundreds of requests from one address; the limits have
    // their own tests (apps/*/test/rate-limit.test.ts).
    SYNC_API_RATE_LIMIT__ENABLED: "false",
    SYNC_API_AUTH__JWT_SECRET_FILE: jwtSecretFile,
    // nginx is on loopback here, not at compose's fixed proxy address.
    SYNC_API_HTTP__TRUST_PROXY: '["loopback"]',
  });
  const async = start("async-api", {
    ASYNC_API_HOST: "127.0.0.1",
    ASYNC_API_PORT: String(asyncPort),
    ASYNC_API_SECRET_KEY_FILE: secretFile,
    ASYNC_API_RATE_LIMIT__ENABLED: "false",
    ASYNC_API_AUTH__JWT_SECRET_FILE: jwtSecretFile,
    ASYNC_API_HTTP__TRUST_PROXY: '["loopback"]',
    ASYNC_API_UPSTREAMS: JSON.stringify({
      ...standIns.upstreams,
      "sync-api": { url: `http://127.0.0.1:${syncPort}`, statusPath: "/readyz" },
    }),
  });
  const nginx = await killIfFails([sync, async], () =>
    startNginx({
      ...proxyEnvironment(compose),
      ...nginxOverrides,
      NGINX_PORT: String(nginxPort),
      SYNC_API_UPSTREAM: `127.0.0.1:${syncPort}`,
      ASYNC_API_UPSTREAM: `127.0.0.1:${asyncPort}`,
    }),
  );
  const processes = { "sync-api": sync, "async-api": async, nginx };
  const anyExited = () => sync.exitReason() ?? async.exitReason() ?? nginx.exitReason();
  const url = `http://127.0.0.1:${nginxPort}`;
  // A stack that did not come up is taken down here: the caller never got a handle on it.
  await killIfFails([sync, async, nginx], async () => {
    await waitForHttp(`${url}/healthz`, { timeoutMs: 60_000, abortIf: anyExited });
    await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { timeoutMs: 60_000, abortIf: anyExited });
  });
  return {
    url,
    asyncPrefix: ASYNC_PREFIX,
    processes,
    async stop() {
      await Promise.all([nginx.stop("SIGQUIT"), sync.stop("SIGTERM"), async.stop("SIGTERM")]);
      await standIns.close();
    },
  };
}
