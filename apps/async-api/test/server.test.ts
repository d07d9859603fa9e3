/** async-api as it really runs: its own process, talked to over HTTP on a free port. */

import { connect, type Socket } from "node:net";
import { HealthStatus } from "@repo/contracts";
import { ASYNC_PREFIX, freePort, logLines, startApp, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

afterEach(stopAll);

async function startAsyncApi(env: Record<string, string> = {}) {
  const port = await freePort();
  const app = startApp("async-api", { env: { ASYNC_API_PORT: String(port), ...env } });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { abortIf: app.exitReason });
  return { app, url };
}

describe("async-api", () => {
  it(`answers ${ASYNC_PREFIX}/healthz naming the async runtime and its pid`, async () => {
    const { app, url } = await startAsyncApi();
    const response = await fetch(`${url}${ASYNC_PREFIX}/healthz`);
    expect(response.status).toBe(200);
    expect(HealthStatus.parse(await response.json())).toEqual({ status: "ok", runtime: "async", pid: app.pid });
  });

  it("serves every route under the async prefix only", async () => {
    const { url } = await startAsyncApi();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 404, title: "Not Found", instance: "/healthz" });
  });

  it("takes the prefix from the deployment's ASYNC_PREFIX", async () => {
    const port = await freePort();
    const app = startApp("async-api", { env: { ASYNC_API_PORT: String(port), ASYNC_PREFIX: "/io" } });
    const health = await waitForHttp(`http://127.0.0.1:${port}/io/healthz`, { abortIf: app.exitReason });
    expect(HealthStatus.parse(health).runtime).toBe("async");
    expect((await fetch(`http://127.0.0.1:${port}/async/healthz`)).status).toBe(404);
  });

  it("echoes a sane X-Request-ID and replaces one that is not", async () => {
    const { url } = await startAsyncApi();
    const kept = await fetch(`${url}${ASYNC_PREFIX}/healthz`, { headers: { "x-request-id": "req-42.a:b" } });
    expect(kept.headers.get("x-request-id")).toBe("req-42.a:b");
    const replaced = await fetch(`${url}${ASYNC_PREFIX}/healthz`, { headers: { "x-request-id": "x".repeat(500) } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("logs one JSON line per request carrying the request id", async () => {
    const { app, url } = await startAsyncApi({ ASYNC_API_LOG__LEVEL: "info" });
    // Not a probe: those are logged at debug.
    await fetch(`${url}${ASYNC_PREFIX}/nope`, { headers: { "x-request-id": "trace-me-2" } });
    const lines = await waitFor("the request's log line", async () => {
      const found = app
        .output()
        .split("\n")
        .filter((l) => l.includes('"trace-me-2"'));
      return found.length > 0 ? found : undefined;
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      reqId: "trace-me-2",
      msg: "request completed",
      res: { statusCode: 404 },
    });
  });

  it("exits 0 on SIGTERM", async () => {
    const { app } = await startAsyncApi();
    expect(await app.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });

  it("drains promptly on SIGTERM and exits 0 with odd connections open: idle, half a head, after an Upgrade", async () => {
    // A graceful timeout longer than the stop's own: a drain that waits on these connections is
    // killed (SIGKILL), one that gives up at the timeout exits 1.
    const { app, url } = await startAsyncApi({ ASYNC_API_SHUTDOWN__GRACEFUL_TIMEOUT_MS: "120000" });
    const { port } = new URL(url);
    const open = (bytes: string) =>
      new Promise<{ socket: Socket; received: () => string }>((resolve, reject) => {
        let received = "";
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(bytes);
          resolve({ socket, received: () => received });
        });
        socket.on("data", (chunk: Buffer) => {
          received += chunk.toString("latin1");
        });
        socket.on("error", reject);
      });
    const sockets = [
      await open(""),
      await open(`GET ${ASYNC_PREFIX}/healthz HTTP/1.1\r\nHost: x\r\n`),
      ...(await Promise.all(
        ["foo", "h2c", "websocket"].map((protocol) =>
          open(
            `GET ${ASYNC_PREFIX}/healthz HTTP/1.1\r\nHost: x\r\nUpgrade: ${protocol}\r\nConnection: Upgrade\r\n\r\n`,
          ),
        ),
      )),
    ];
    // The Upgrades are answered (so counted as done) before the drain begins.
    await waitFor("the answers to the Upgrades", async () =>
      sockets.slice(2).every(({ received }) => received().includes("\r\n\r\n")) ? true : undefined,
    );
    expect(await app.stop("SIGTERM", 30_000)).toEqual({ code: 0, signal: null });
    for (const { socket } of sockets) socket.destroy();
  }, 90_000);

  it("exits non-zero before listening when a setting is invalid, naming the key", async () => {
    const app = startApp("async-api", { env: { ASYNC_API_PORT: "99999", ASYNC_PREFIX: "async/" } });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain("Invalid settings for async-api (2 problems)");
    expect(app.output()).toMatch(/port \(from env ASYNC_API_PORT\): expected integer, >= 1, <= 65535, got 99999/);
    expect(app.output()).toMatch(/asyncPrefix \(from env ASYNC_PREFIX\)/);
    expect(app.output()).not.toContain("listening");
  });
});

describe("the route table setting", () => {
  it("serves the test table under NODE_ENV=test: an unexpected error is a 500 problem without internals", async () => {
    const { url } = await startAsyncApi({ ASYNC_API_LOG__LEVEL: "fatal" });
    const response = await fetch(`${url}${ASYNC_PREFIX}/_test/crash`, { headers: { "x-request-id": "crash-2" } });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      instance: `${ASYNC_PREFIX}/_test/crash`,
      requestId: "crash-2",
    });
    expect(body).not.toContain("internals");
  });

  it("serves another table when the setting names it", async () => {
    const { url } = await startAsyncApi({ ASYNC_API_ROUTE_TABLE: "main" });
    expect((await fetch(`${url}${ASYNC_PREFIX}/_test/crash`)).status).toBe(404);
  });

  it("refuses the test table outside NODE_ENV=test", async () => {
    const app = startApp("async-api", { env: { NODE_ENV: "development", ASYNC_API_ROUTE_TABLE: "test" } });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain(
      'routeTable (from env ASYNC_API_ROUTE_TABLE): the "test" route table holds test-only routes; it is served under NODE_ENV=test only, not development',
    );
  });
});

describe("behind a proxy", () => {
  it("keeps idle connections open longer than the proxy does, and trusts X-Forwarded-For only from its hop", async () => {
    const trusted = await startAsyncApi({ ASYNC_API_LOG__LEVEL: "info" });
    const response = await fetch(`${trusted.url}${ASYNC_PREFIX}/healthz`);
    expect(response.headers.get("keep-alive")).toBe("timeout=65");
    // Probes are logged at debug: the address is read from another request's line.
    await fetch(`${trusted.url}${ASYNC_PREFIX}/nope`, {
      headers: { "x-forwarded-for": "203.0.113.7", "x-request-id": "aip-1" },
    });
    const untrusted = await startAsyncApi({ ASYNC_API_LOG__LEVEL: "info", ASYNC_API_HTTP__TRUST_PROXY: "[]" });
    await fetch(`${untrusted.url}${ASYNC_PREFIX}/nope`, {
      headers: { "x-forwarded-for": "203.0.113.7", "x-request-id": "aip-2" },
    });
    const addressOf = async (app: typeof trusted.app, id: string) => {
      const line = await waitFor("the log line", async () => logLines(app).find((l) => l.reqId === id));
      return (line.req as { ip: string }).ip;
    };
    expect(await addressOf(trusted.app, "aip-1")).toBe("203.0.113.7");
    expect(await addressOf(untrusted.app, "aip-2")).toBe("127.0.0.1");
  });
});

describe("the event-loop guard", () => {
  it("names the route and the request of a handler that blocked the event loop", async () => {
    const { app, url } = await startAsyncApi({ ASYNC_API_EVENT_LOOP__BLOCK_WARN_MS: "100" });
    const quick = await fetch(`${url}${ASYNC_PREFIX}/_test/block?ms=0`);
    expect(quick.status).toBe(200);
    const slow = await fetch(`${url}${ASYNC_PREFIX}/_test/block?ms=250`, { headers: { "x-request-id": "blocker-1" } });
    expect(slow.status).toBe(200);
    const warning = await waitFor("the guard's warning", async () =>
      logLines(app).find((line) => line.reqId === "blocker-1" && line.level === 40),
    );
    expect(warning).toMatchObject({ route: `GET ${ASYNC_PREFIX}/_test/block`, blockedMs: expect.any(Number) });
    expect(warning.blockedMs).toBeGreaterThanOrEqual(250);
    expect(warning.msg).toMatch(
      /^GET \/async\/_test\/block blocked the event loop for \d+ ms — blocking work belongs in a sync controller$/,
    );
    // The quick one was not reported.
    expect(logLines(app).filter((line) => String(line.msg).includes("blocked the event loop"))).toHaveLength(1);
  });

  it("is off at 0", async () => {
    const { app, url } = await startAsyncApi({ ASYNC_API_EVENT_LOOP__BLOCK_WARN_MS: "0" });
    await fetch(`${url}${ASYNC_PREFIX}/_test/block?ms=150`, { headers: { "x-request-id": "blocker-2" } });
    await fetch(`${url}${ASYNC_PREFIX}/healthz`);
    expect(logLines(app).some((line) => String(line.msg).includes("blocked the event loop"))).toBe(false);
  });
});

describe("readiness", () => {
  it("reports the event loop's delay, and sheds load while it lags past eventLoop.maxDelayMs", async () => {
    const { url } = await startAsyncApi({
      ASYNC_API_EVENT_LOOP__DELAY_WINDOW_MS: "200",
      ASYNC_API_EVENT_LOOP__MAX_DELAY_MS: "100",
    });
    const calm = await waitFor("a window measured", async () => {
      const body = (await (await fetch(`${url}${ASYNC_PREFIX}/readyz`)).json()) as {
        eventLoopDelayMs?: { p99: number };
      };
      return body.eventLoopDelayMs && body.eventLoopDelayMs.p99 > 0 ? body : undefined;
    });
    expect(calm.eventLoopDelayMs?.p99).toBeLessThan(100);
    // Block the loop for longer than a window: the window's p99 delay goes past 100 ms. Asked
    // right after each block, until one answer comes before the window that saw it is replaced
    // by a calm one (on a loaded machine the next request can come a whole window later).
    const lagging = await waitFor("readiness to shed load", async () => {
      for (let i = 0; i < 2; i++) await fetch(`${url}${ASYNC_PREFIX}/_test/block?ms=300`);
      const answer = await fetch(`${url}${ASYNC_PREFIX}/readyz`);
      if (answer.status === 503) return answer;
      await answer.body?.cancel();
      return undefined;
    });
    expect(lagging.status).toBe(503);
    expect(lagging.headers.get("retry-after")).toBe("1");
    expect(await lagging.json()).toMatchObject({ status: 503, detail: expect.stringContaining("event loop lags") });
    // Once the loop is calm for a window, readiness recovers.
    await waitFor("readiness to recover", async () =>
      (await fetch(`${url}${ASYNC_PREFIX}/readyz`)).ok ? true : undefined,
    );
  });
});
