/** sync-api's settings as the running app sees them: errors, secrets from files, route tables. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startApp, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { syncApiSettings } from "../src/settings/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sync-api-settings-"));
afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sync-api settings", () => {
  it("reports three invalid values in one report and exits non-zero before listening", async () => {
    const app = startApp("sync-api", {
      env: { SYNC_API_PORT: "abc", SYNC_API_LOG__LEVEL: "loud", NODE_ENV: "staging" },
    });
    expect((await app.exited).code).toBe(1);
    const report = app.output();
    expect(report).toContain("Invalid settings for sync-api (3 problems):");
    expect(report).toContain('NODE_ENV (from env NODE_ENV): unknown environment "staging"');
    expect(report).toContain('port (from env SYNC_API_PORT): expected integer, >= 1, <= 65535, got "abc"');
    expect(report).toContain('log.level (from env SYNC_API_LOG__LEVEL): expected one of "fatal"');
    expect(report).not.toContain("listening");
  });

  it("reads a secret from SYNC_API_SECRET_KEY_FILE and never writes it out", async () => {
    const value = "file-secret-0123456789-abcdefghij-XYZ";
    const path = join(dir, "secret_key");
    writeFileSync(path, `${value}\n`);
    const jwtValue = "file-jwt-secret-0123456789-abcdefghij";
    const jwtPath = join(dir, "jwt_secret");
    writeFileSync(jwtPath, `${jwtValue}\n`);
    const port = await freePort();
    const app = startApp("sync-api", {
      env: {
        NODE_ENV: "production",
        SYNC_API_PORT: String(port),
        SYNC_API_WORKERS: "1",
        SYNC_API_LOG__LEVEL: "debug",
        SYNC_API_SECRET_KEY_FILE: path,
        SYNC_API_AUTH__JWT_SECRET_FILE: jwtPath,
      },
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { abortIf: app.exitReason });
    const resolvedLine = await waitFor("the settings log line", async () =>
      app
        .output()
        .split("\n")
        .find((line) => line.includes('"settings resolved"')),
    );
    expect(JSON.parse(resolvedLine)).toMatchObject({
      settings: { secretKey: "[redacted]", auth: { jwtSecret: "[redacted]" }, port },
    });
    await app.stop();
    expect(app.output()).not.toContain(value);
    expect(app.output()).not.toContain(jwtValue);
  });

  it("refuses a secret key that is too short without printing it", async () => {
    const app = startApp("sync-api", {
      env: {
        NODE_ENV: "production",
        SYNC_API_SECRET_KEY: "too-short-secret",
        SYNC_API_AUTH__JWT_SECRET: "j".repeat(32),
      },
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain(
      "secretKey (from env SYNC_API_SECRET_KEY): expected string, length >= 32, got [redacted]",
    );
    expect(app.output()).not.toContain("too-short-secret");
  });

  it("requires a secret key in production", async () => {
    const app = startApp("sync-api", { env: { NODE_ENV: "production" } });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain("secretKey (from no layer): required, but no layer sets it");
  });

  it("requires the bearer tokens' key in production, naming it", async () => {
    const app = startApp("sync-api", { env: { NODE_ENV: "production", SYNC_API_SECRET_KEY: "k".repeat(32) } });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain("auth.jwtSecret (from no layer): required, but no layer sets it");
    expect(app.output()).not.toContain("listening");
  });
});

describe("the route table setting", () => {
  async function start(env: Record<string, string>) {
    const port = await freePort();
    const app = startApp("sync-api", { env: { SYNC_API_PORT: String(port), SYNC_API_WORKERS: "1", ...env } });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { abortIf: app.exitReason });
    return { app, url: `http://127.0.0.1:${port}` };
  }

  it("serves the test table under NODE_ENV=test: an unexpected error is a 500 problem without internals", async () => {
    const { app, url } = await start({ SYNC_API_LOG__LEVEL: "error" });
    const response = await fetch(`${url}/_test/crash`, { headers: { "x-request-id": "crash-1" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      instance: "/_test/crash",
      requestId: "crash-1",
    });
    expect(body).not.toContain("internals");
    // The error itself goes to the log, with the request id.
    await waitFor("the error's log line", async () =>
      app.output().includes("test-only failure") && app.output().includes('"reqId":"crash-1"') ? true : undefined,
    );
  });

  it("serves another table when the setting names it", async () => {
    const { url } = await start({ SYNC_API_ROUTE_TABLE: "main" });
    expect((await fetch(`${url}/_test/crash`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("refuses the test table outside NODE_ENV=test", async () => {
    const app = startApp("sync-api", {
      env: { NODE_ENV: "development", SYNC_API_ROUTE_TABLE: "test", SYNC_API_WORKERS: "1" },
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain(
      'routeTable (from env SYNC_API_ROUTE_TABLE): the "test" route table holds test-only routes; it is served under NODE_ENV=test only, not development',
    );
  });
});

describe("development's process model", () => {
  it("is one worker that drains without an idle grace, where a save restarts the app; elsewhere the machine's parallelism and a second of grace", () => {
    const under = (NODE_ENV: string) => {
      const settings = syncApiSettings.load({ NODE_ENV });
      return { workers: settings.workers, grace: settings.shutdown.idleConnectionGraceMs };
    };
    expect(under("development")).toEqual({ workers: 1, grace: 0 });
    expect(under("test")).toEqual({ workers: availableParallelism(), grace: 1_000 });
    expect(syncApiSettings.load({ NODE_ENV: "development", SYNC_API_WORKERS: "3" }).workers).toBe(3);
  });
});
