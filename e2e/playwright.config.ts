/**
 * End-to-end tests in a real Chromium through the API's one origin, run three times by `pnpm test`
 * so the two proxies and the two modes cannot drift:
 * - `E2E_PROXY=dev` (default): the three processes of `pnpm dev`, from source;
 * - `E2E_PROXY=nginx`: the production builds behind Debian's nginx with the infra template;
 * - `E2E_PROXY=combined`: combined mode (`pnpm dev:combined`), the whole API in one process, on
 *   PostgreSQL (a throwaway server: its threads reach it through the database bridge), where the
 *   others run on SQLite, so the suite runs against both databases;
 * - `E2E_PROXY=containers`: infra/docker-compose.yml in a real Docker engine, images built from
 *   infra/docker/Dockerfile and the stack brought up as a user does (`up --build --wait`).
 * Everything listens on free ports, so a running `pnpm dev` is never disturbed.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import {
  ASYNC_PREFIX,
  dockerMissing,
  freePort,
  nginxMissing,
  postgresMissing,
  runsHere,
  startPostgres,
} from "@repo/testing";
import { chooseBrowser } from "./browser.ts";

// The config is loaded again in every worker process: ports chosen once here reach them through
// the environment they inherit.
for (const name of ["E2E_PROXY_PORT", "E2E_SYNC_PORT", "E2E_ASYNC_PORT"]) {
  process.env[name] ??= String(await freePort());
}
const proxies = ["dev", "nginx", "combined", "containers"] as const;
const proxy = proxies.find((name) => name === process.env.E2E_PROXY) ?? "dev";
// This run's report and the reasons for its skips: reports/<proxy>/, which turbo caches with the task.
const reportDir = join(import.meta.dirname, "reports", proxy);
process.env.REPO_TESTING_REPORTS = reportDir;

// Combined mode's run is on PostgreSQL: one server, started by the first load of this config (the
// runner's; the workers inherit its URL), stopped and deleted when the runner exits.
if (proxy === "combined" && !process.env.E2E_DATABASE_URL) {
  if (runsHere("e2e tests through combined mode on PostgreSQL", postgresMissing())) {
    process.env.E2E_DATABASE_URL = (await startPostgres()).url;
  } else process.env.E2E_SKIP_REASON = postgresMissing();
}
const env = {
  NODE_ENV: "test",
  // One prefix for every part (docs/settings.md): this run's, or the default.
  ASYNC_PREFIX,
  PORT: process.env.E2E_PROXY_PORT as string,
  SYNC_API_PORT: process.env.E2E_SYNC_PORT as string,
  SYNC_API_WORKERS: "2",
  SYNC_API_DATABASE__URL: process.env.E2E_DATABASE_URL ?? join(tmpdir(), `e2e-${process.env.E2E_SYNC_PORT}.sqlite`),
  ASYNC_API_PORT: process.env.E2E_ASYNC_PORT as string,
  // async-api reads only its own variables: tell it where this run's sync-api is.
  ASYNC_API_UPSTREAMS: JSON.stringify({
    "sync-api": { url: `http://127.0.0.1:${process.env.E2E_SYNC_PORT}`, statusPath: "/readyz" },
  }),
  ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: "100", // #example
  // Combined mode listens where the proxy would.
  ASYNC_API_COMBINED__PORT: process.env.E2E_PROXY_PORT as string,
  ASYNC_API_COMBINED__THREADS: "2",
};
const origin = `http://localhost:${env.PORT}`;

const proxyMissing = proxy === "nginx" ? nginxMissing() : proxy === "containers" ? dockerMissing() : undefined;
if (!runsHere(`e2e tests through ${proxy}`, proxyMissing)) process.env.E2E_SKIP_REASON = proxyMissing;

// A machine without a browser skips these tests loudly; CI must not.
const browser = chooseBrowser();
if (!runsHere("e2e tests", browser.kind === "missing" ? browser.reason : undefined) && browser.kind === "missing") {
  process.env.E2E_SKIP_REASON = browser.reason;
}

// Playwright starts these in order, each once the one before answers at its own health URL.
const server = (name: string, entry: string, healthUrl: string) => ({
  name,
  command: `node --conditions=@repo/source ${entry}`,
  cwd: "..",
  url: healthUrl,
  env,
  reuseExistingServer: false,
  timeout: 60_000,
  stdout: "ignore" as const,
  stderr: "pipe" as const,
});

export default defineConfig({
  testDir: "tests",
  // A machine without the browser, nginx or a Docker engine runs none of them, loudly (see the
  // warnings above); CI never gets here without them (the config throws).
  ...(process.env.E2E_SKIP_REASON ? { testIgnore: "**/*" } : {}),
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: 2,
  reporter: [["list"], ["json", { outputFile: join(reportDir, "playwright.json") }]],
  use: {
    baseURL: origin,
    trace: "retain-on-failure",
    ...(browser.kind === "system"
      ? { launchOptions: { executablePath: browser.executablePath, args: [...browser.args] } }
      : {}),
  },
  projects: [{ name: `chromium via ${proxy}` }],
  webServer: process.env.E2E_SKIP_REASON
    ? []
    : proxy === "containers"
      ? [
          {
            ...server("compose", "e2e/stack/containers.ts", `http://127.0.0.1:${env.PORT}${ASYNC_PREFIX}/healthz`),
            // Both images built (minutes on a cold cache), then `up --wait`.
            timeout: 20 * 60_000,
            // SIGTERM, so the stack script takes its containers down (`docker compose down`).
            gracefulShutdown: { signal: "SIGTERM" as const, timeout: 120_000 },
          },
        ]
      : proxy === "nginx"
        ? [
            {
              ...server("nginx", "e2e/stack/nginx.ts", `http://127.0.0.1:${env.PORT}${ASYNC_PREFIX}/healthz`),
              timeout: 180_000,
            },
          ]
        : proxy === "combined"
          ? [server("combined", "apps/combined/src/main.ts", `http://127.0.0.1:${env.PORT}/healthz`)]
          : [
              server("sync-api", "apps/sync-api/src/main.ts", `http://127.0.0.1:${env.SYNC_API_PORT}/healthz`),
              server(
                "async-api",
                "apps/async-api/src/main.ts",
                `http://127.0.0.1:${env.ASYNC_API_PORT}${ASYNC_PREFIX}/healthz`,
              ),
              server("dev-proxy", "packages/dev-proxy/src/main.ts", `http://127.0.0.1:${env.PORT}/healthz`),
            ],
});
