/**
 * Logging in both apps as a log collector sees it: JSON lines on stdout, and an exit that never
 * waits on a log pipe whose reader has gone (a crashed collector, `| head`, a closed terminal).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AppName,
  type AppProcess,
  ASYNC_PREFIX,
  freePort,
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
          SYNC_API_DATABASE__PATH: join(mkdtempSync(join(tmpdir(), "logging-")), "sync-api.sqlite"),
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
