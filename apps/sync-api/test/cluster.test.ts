/**
 * sync-api as it really runs: the supervisor process forking workers that share one port,
 * talked to over HTTP. Each test starts its own process on a free port.
 */
import { createServer } from "node:net";
import { HealthStatus } from "@repo/contracts";
import { descendantsOf, freePort, httpGet, isAlive, startApp, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

describe("sync-api under its supervisor", () => {
  it("answers /healthz from a worker, naming the sync runtime and the worker's pid", async () => {
    const { app, url } = await startSyncApi(2);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    const health = HealthStatus.parse(await response.json());
    expect(health.runtime).toBe("sync");
    expect(descendantsOf(app.pid)).toContain(health.pid);
    expect(health.pid).not.toBe(app.pid);
  });

  it("replaces a worker killed with SIGKILL and keeps answering meanwhile", async () => {
    const { app, url } = await startSyncApi(2);
    const before = descendantsOf(app.pid);
    const victim = before[0] as number;
    process.kill(victim, "SIGKILL");

    // Requests made while the worker is being replaced are all answered by a live worker.
    for (let i = 0; i < 20; i++) {
      const { status, body } = await httpGet(`${url}/healthz`);
      expect(status).toBe(200);
      expect(HealthStatus.parse(JSON.parse(body)).pid).not.toBe(victim);
    }
    const after = await waitFor("a replacement worker", async () => {
      const now = descendantsOf(app.pid);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(after.filter((pid) => !before.includes(pid))).toHaveLength(1);
    // Log lines reach stdout in batches (within 100 ms): the replacement may run before its line shows.
    await waitFor("the supervisor to say so", async () =>
      app.output().includes("worker died: starting a new one") ? true : undefined,
    );
  });

  it("stops every worker and exits 0 on SIGTERM", async () => {
    const { app } = await startSyncApi(2);
    const workers = descendantsOf(app.pid);
    const exit = await app.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(workers.filter(isAlive)).toEqual([]);
  });

  it("exits non-zero before listening when a setting is invalid, naming the key", async () => {
    const port = await freePort();
    const app = startApp("sync-api", { env: { SYNC_API_PORT: "abc", SYNC_API_WORKERS: "1" } });
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(app.output()).toContain("Invalid settings for sync-api");
    expect(app.output()).toMatch(/port \(from env SYNC_API_PORT\): expected integer, >= 1, <= 65535, got "abc"/);
    expect(app.output()).not.toContain("listening");
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("stops with exit code 1 instead of respawning when workers cannot boot", async () => {
    // Another process holds the port, so every worker's listen fails.
    const port = await freePort();
    const blocker = createServer().listen(port, "127.0.0.1");
    try {
      const app = startApp("sync-api", { env: { SYNC_API_PORT: String(port), SYNC_API_WORKERS: "2" } });
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      expect(app.output()).toContain("a worker failed to boot");
      expect(app.output()).not.toContain("worker died: starting a new one");
    } finally {
      blocker.close();
    }
  });
});

describe("sync-api HTTP behaviour", () => {
  it("echoes a sane X-Request-ID and replaces one that is not", async () => {
    const { url } = await startSyncApi(1);
    const kept = await fetch(`${url}/healthz`, { headers: { "x-request-id": "req-42.a:b" } });
    expect(kept.headers.get("x-request-id")).toBe("req-42.a:b");
    const replaced = await fetch(`${url}/healthz`, { headers: { "x-request-id": "no spaces allowed" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("reads a body only for a route whose contract takes one", async () => {
    const { url } = await startSyncApi(1);
    const broken = { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" };
    // No route takes it: a 404, its body never parsed (once a 400 about the JSON).
    expect((await fetch(`${url}/nowhere`, broken)).status).toBe(404);
    // GET /healthz takes no body: 405, not a JSON error.
    expect((await fetch(`${url}/healthz`, broken)).status).toBe(405);
    // The test table's echo route does: the JSON error.
    const echo = await fetch(`${url}/_test/echo/1?limit=1`, {
      ...broken,
      headers: { ...broken.headers, "x-tenant": "t1" },
    });
    expect(echo.status).toBe(400);
    expect(await echo.json()).toMatchObject({ detail: "The body is not valid JSON" });
  });

  it("answers an unknown route with a 404 problem", async () => {
    const { url } = await startSyncApi(1);
    const response = await fetch(`${url}/nowhere?x=1`, { headers: { "x-request-id": "abc" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toEqual({
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: "No route for GET /nowhere",
      instance: "/nowhere?x=1",
      requestId: "abc",
    });
  });

  it("logs one JSON line per request carrying the request id", async () => {
    const port = await freePort();
    const app = startApp("sync-api", {
      env: { SYNC_API_PORT: String(port), SYNC_API_WORKERS: "1", SYNC_API_LOG__LEVEL: "info" },
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { abortIf: app.exitReason });
    // Not a probe: those are logged at debug.
    await fetch(`http://127.0.0.1:${port}/compute/primes?below=10`, { headers: { "x-request-id": "trace-me-1" } });
    const line = await waitFor("the request's log line", async () =>
      app
        .output()
        .split("\n")
        .find((l) => l.includes('"trace-me-1"')),
    );
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ reqId: "trace-me-1", msg: "request completed", res: { statusCode: 200 } });
    expect(
      app
        .output()
        .split("\n")
        .filter((l) => l.includes('"trace-me-1"')),
    ).toHaveLength(1);
  });
});
