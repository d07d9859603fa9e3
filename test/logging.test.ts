/**
 * Logging in both apps as a log collector sees it: JSON lines on stdout, and an exit that never
 * waits on a log pipe whose reader has gone (a crashed collector, `| head`, a closed terminal).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProblemDetails, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  type AppName,
  type AppProcess,
  ASYNC_PREFIX,
  freePort,
  logLines,
  startApp,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

afterEach(stopAll);

async function startLogging(name: "sync-api" | "async-api"): Promise<{ app: AppProcess; url: string }> {
  const port = await freePort();
  const env: Record<string, string> =
    name === "sync-api"
      ? {
          SYNC_API_PORT: String(port),
          SYNC_API_WORKERS: "1",
          SYNC_API_LOG__LEVEL: "info",
          SYNC_API_DATABASE__URL: join(mkdtempSync(join(tmpdir(), "logging-")), "sync-api.sqlite"),
        }
      : { ASYNC_API_PORT: String(port), ASYNC_API_LOG__LEVEL: "info" };
  const app = startApp(name satisfies AppName, { env });
  const url = `http://127.0.0.1:${port}${name === "async-api" ? ASYNC_PREFIX : ""}`;
  await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
  return { app, url };
}

describe.each(["sync-api", "async-api"] as const)("%s with a closed log pipe", (name) => {
  it("still exits promptly on SIGTERM", async () => {
    const { app } = await startLogging(name);
    // The reader goes away while the app is idle: its next write, the shutdown's own log line,
    // fails with EPIPE, and the exit must not wait on it.
    app.child.stdout?.destroy();
    app.child.stderr?.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    app.child.kill("SIGTERM");
    // A hang, not a speed figure: the drain has nothing in flight, so anything near this bound is stuck.
    const exit = await Promise.race([app.exited, new Promise((resolve) => setTimeout(() => resolve("hung"), 8_000))]);
    expect(exit).not.toBe("hung");
  });
});

describe.each(["sync-api", "async-api"] as const)("%s logs", (name) => {
  it("one JSON line per request, in the same shape in both apps, flushed on exit", async () => {
    const { app, url } = await startLogging(name);
    const ids = Array.from({ length: 30 }, (_, i) => `shape-${name}-${i}`);
    for (const id of ids) await fetch(`${url}/nope`, { headers: { "x-request-id": id } });
    await app.stop("SIGTERM");
    const lines = app
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter(
      (line) => line.msg === "request completed" && String(line.reqId).startsWith("shape-"),
    );
    expect(requests.map((line) => line.reqId)).toEqual(ids);
    expect(requests[0]).toMatchObject({
      level: 30,
      reqId: ids[0],
      req: { method: "GET", url: expect.stringMatching(/\/nope$/), ip: "127.0.0.1" },
      res: { statusCode: 404 },
      responseTime: expect.any(Number),
    });
  });

  it("logs probes (and the internal feeds the apps poll) at debug, not info", async () => {
    const { app, url } = await startLogging(name);
    await fetch(`${url}/healthz`, { headers: { "x-request-id": "probe-1" } });
    await fetch(`${url}/readyz`, { headers: { "x-request-id": "probe-2" } });
    // #region example
    if (name === "sync-api") {
      expect((await fetch(`${url}/note-events`, { headers: { "x-request-id": "probe-3" } })).status).toBe(200);
    }
    // #endregion example
    await fetch(`${url}/nope`, { headers: { "x-request-id": "after-probes" } });
    await waitFor("the last request's line", async () => (app.output().includes('"after-probes"') ? true : undefined));
    expect(app.output()).not.toContain('"probe-1"');
    expect(app.output()).not.toContain('"probe-2"');
    expect(app.output()).not.toContain('"probe-3"');
  });
});

/** A valid bearer token, and every spelling of `access_token` a query parser decodes as that key. */
const TOKEN = await signToken(developmentAuth, { subject: "logging-test", scopes: [], ttlS: 600 });
const TOKEN_KEYS = ["access_token", "access%5Ftoken", "%61ccess_token", "%61%63%63%65%73%73%5f%74%6f%6b%65%6e"];

/** The problem a request answered, checked to show no token (its `instance` shows `[redacted]` instead). */
async function redactedProblem(url: string, status: number): Promise<ProblemDetails> {
  const response = await fetch(url);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(text).not.toContain(TOKEN);
  const body = ProblemDetails.parse(JSON.parse(text));
  expect(body.instance).toContain("=[redacted]");
  return body;
}

describe.each(["sync-api", "async-api"] as const)("%s and a bearer token in the query", (name) => {
  it("never shows it: not in a problem's instance or detail, not in a log line, however the key is spelled", async () => {
    const { app, url } = await startLogging(name);
    for (const key of TOKEN_KEYS) {
      const problem = await redactedProblem(`${url}/nope?x=1&${key}=${TOKEN}&y=2`, 404);
      expect(problem.instance).toMatch(/&y=2$/);
    }
    // #region example
    if (name === "async-api") {
      const forged = TOKEN.slice(0, -4) + (TOKEN.endsWith("AAAA") ? "BBBB" : "AAAA");
      for (const key of TOKEN_KEYS) {
        // Each spelling is the key itself to the app: the token is read, and checked.
        const stream = await fetch(`${url}/events/notes?${key}=${TOKEN}`);
        expect(stream.status, key).toBe(200);
        await stream.body?.cancel();
        const refused = await fetch(`${url}/events/notes?${key}=${forged}`);
        expect(refused.status, key).toBe(401);
        expect(await refused.text()).not.toContain(forged.slice(0, -4));
      }
    }
    // #endregion example
    // A last request to know every earlier one has been logged (lines go out in order).
    await fetch(`${url}/nope`, { headers: { "x-request-id": "after-tokens" } });
    await waitFor("the last request's line", async () => (app.output().includes('"after-tokens"') ? true : undefined));
    const requests = logLines(app).filter((line) => line.msg === "request completed");
    expect(requests.length).toBeGreaterThan(TOKEN_KEYS.length);
    expect(app.output()).not.toContain(TOKEN);
    expect(app.output()).not.toContain(TOKEN.split(".")[2]);
  });
});

describe("the dev proxy and a bearer token in the query", () => {
  it("never shows it: not in its log line for an unreachable app, not in its own problems", async () => {
    const [port, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
    // Neither app listens: every request is the proxy's own 502, logged (at debug until both are up).
    const proxy = startApp("dev-proxy", {
      env: {
        PORT: String(port),
        SYNC_API_PORT: String(syncPort),
        ASYNC_API_PORT: String(asyncPort),
        PROXY_LOG__LEVEL: "debug",
      },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      "the proxy to listen",
      async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 502 || undefined,
      { abortIf: proxy.exitReason },
    );
    for (const key of TOKEN_KEYS) {
      for (const path of ["/a/path", `${ASYNC_PREFIX}/a/path`]) {
        const problem = await redactedProblem(`${url}${path}?${key}=${TOKEN}`, 502);
        expect(problem.detail).toMatch(/is not reachable$/);
      }
    }
    await waitFor("the unreachable lines", async () =>
      logLines(proxy).filter((line) => String(line.url).includes("=[redacted]")).length >= TOKEN_KEYS.length * 2
        ? true
        : undefined,
    );
    await proxy.stop("SIGTERM");
    expect(proxy.output()).not.toContain(TOKEN);
  });
});
