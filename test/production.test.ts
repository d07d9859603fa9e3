/**
 * The production path: `pnpm start` runs the compiled builds of both apps and the proxy, and each
 * app runs alone from a deploy directory that holds only its production dependencies and
 * JavaScript, as its image will.
 */
import { execFileSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthStatus } from "@repo/contracts";
import {
  ASYNC_PREFIX,
  descendantsOf,
  freePort,
  isAlive,
  startProcess,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";

const SECRET_KEY = "production-test-secret-key-0123456789";
const JWT_SECRET = "production-test-jwt-secret-0123456789";
const workdir = mkdtempSync(join(tmpdir(), "api-starter-deploy-"));
afterAll(async () => {
  await stopAll();
  rmSync(workdir, { recursive: true, force: true });
});

function commandLine(pid: number): string {
  try {
    return execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

describe("production builds", () => {
  it("pnpm start serves both runtimes from dist/ through the proxy, and stops on Ctrl-C", async () => {
    const [proxyPort, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const start = startProcess("pnpm", ["start"], {
      detached: true,
      env: {
        // `pnpm start` means production by itself.
        NODE_ENV: undefined,
        PORT: String(proxyPort),
        SYNC_API_PORT: String(syncPort),
        SYNC_API_WORKERS: "2",
        ASYNC_API_PORT: String(asyncPort),
        // Production has no default secret key: it must be given.
        SYNC_API_SECRET_KEY: SECRET_KEY,
        ASYNC_API_SECRET_KEY: SECRET_KEY,
        SYNC_API_AUTH__JWT_SECRET: JWT_SECRET,
        ASYNC_API_AUTH__JWT_SECRET: JWT_SECRET,
      },
    });
    const origin = `http://127.0.0.1:${proxyPort}`;
    const wait = { timeoutMs: 120_000, abortIf: start.exitReason };
    const sync = HealthStatus.parse(await waitForHttp(`${origin}/healthz`, wait));
    const async = HealthStatus.parse(await waitForHttp(`${origin}${ASYNC_PREFIX}/healthz`, wait));
    expect([sync.runtime, async.runtime]).toEqual(["sync", "async"]);
    // The processes that answered run compiled JavaScript, not the TypeScript sources.
    expect(commandLine(sync.pid)).toMatch(/dist\/main\.js/);
    expect(commandLine(async.pid)).toMatch(/dist\/main\.js/);
    expect(commandLine(async.pid)).not.toContain("@repo/source");
    // The banner says only what production serves.
    await waitFor("the banner", async () => (start.output().includes("API reference off") ? true : undefined));
    expect(start.output()).toContain("API reference off (SYNC_API_API_REFERENCE=true serves it at /docs)");
    expect(start.output()).not.toContain(`${origin.replace("127.0.0.1", "localhost")}/docs`);
    // Production settings: no API reference, nothing at the root (404 problems).
    for (const path of ["/", "/docs", "/openapi.json"]) {
      const off = await fetch(`${origin}${path}`);
      expect(off.status).toBe(404);
      expect(off.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }

    const tree = descendantsOf(start.pid);
    process.kill(-start.pid, "SIGINT");
    await start.exited;
    await waitFor("every process to be gone", async () => (tree.some(isAlive) ? undefined : true));
  });

  it.each(["start", "start:combined"])(
    "pnpm %s without the production secrets stops at once, naming what each app needs",
    async (script) => {
      const start = startProcess("pnpm", [script], { env: { NODE_ENV: undefined } });
      const exit = await start.exited;
      expect(exit.code).not.toBe(0);
      const output = start.output();
      expect(output).toMatch(
        /Invalid settings for sync-api[\s\S]*secretKey[\s\S]*Invalid settings for async-api[\s\S]*secretKey/,
      );
      expect(output).toContain("export SYNC_API_SECRET_KEY=$(openssl rand -hex 32)");
      expect(output).toMatch(
        /Invalid settings for sync-api[\s\S]*auth\.jwtSecret[\s\S]*Invalid settings for async-api[\s\S]*auth\.jwtSecret/,
      );
      expect(output).toContain("export SYNC_API_AUTH__JWT_SECRET=$(openssl rand -hex 32)");
      // Nothing was started: the check runs before turbo.
      expect(output).not.toContain("Packages in scope");
    },
  );

  it.each([
    ["@repo/sync-api", "SYNC_API_PORT", "/healthz", "sync"],
    ["@repo/async-api", "ASYNC_API_PORT", `${ASYNC_PREFIX}/healthz`, "async"],
    // Combined mode's image: its pool threads load sync-api's compiled handlers from the deploy.
    ["@repo/combined", "ASYNC_API_COMBINED__PORT", "/healthz", "sync"],
  ])(
    "%s runs alone from a deploy directory with production dependencies only",
    async (name, portVar, path, runtime) => {
      execFileSync("pnpm", ["build", `--filter=${name}`], { stdio: "ignore" });
      const dir = join(workdir, name.slice("@repo/".length));
      execFileSync("pnpm", ["--filter", name, "deploy", "--prod", dir], { stdio: "ignore" });

      const installed = globSync("node_modules/.pnpm/*", { cwd: dir }).map((p) =>
        p.slice("node_modules/.pnpm/".length),
      );
      for (const devOnly of ["typescript@", "vitest@", "vite@", "@types+", "turbo@", "@biomejs+", "@playwright+"]) {
        // One exception: protobufjs (under OpenTelemetry's OTLP exporters, which @repo/tracing
        // ships for tracing.enabled) lists @types/node among its own dependencies.
        const allowed = (pkg: string) => pkg.startsWith("@types+node@");
        expect(installed.filter((pkg) => pkg.startsWith(devOnly) && !allowed(pkg))).toEqual([]);
      }
      // No TypeScript sources anywhere: the app and its @repo/* packages ship dist/ only.
      const sources = globSync("**/*.ts", { cwd: dir }).filter((file) => !file.endsWith(".d.ts"));
      expect(sources).toEqual([]);
      expect(existsSync(join(dir, "dist/main.js"))).toBe(true);

      // Started as its image starts it: plain node, no source condition.
      const port = await freePort();
      const app = startProcess(process.execPath, ["dist/main.js"], {
        cwd: dir,
        env: {
          NODE_ENV: "production",
          [portVar]: String(port),
          SYNC_API_WORKERS: "1",
          SYNC_API_SECRET_KEY: SECRET_KEY,
          ASYNC_API_SECRET_KEY: SECRET_KEY,
          SYNC_API_AUTH__JWT_SECRET: JWT_SECRET,
          ASYNC_API_AUTH__JWT_SECRET: JWT_SECRET,
        },
      });
      const health = HealthStatus.parse(
        await waitForHttp(`http://127.0.0.1:${port}${path}`, { abortIf: app.exitReason }),
      );
      expect(health.runtime).toBe(runtime);
      expect(await app.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    },
  );
});
