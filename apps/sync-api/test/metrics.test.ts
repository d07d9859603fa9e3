/**
 * sync-api's Prometheus metrics: the worker's middleware in the real app (route templates, never
 * raw paths), then the supervisor's one scrape over real workers: summed across them, answering
 * without a stuck one, and keeping what retired and killed workers counted.
 */
import { mkdtempSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpMetrics, type HttpMetrics, UNMATCHED_ROUTE } from "@repo/metrics";
import { descendantsOf, freePort, httpGet, logLines, metricSum, metricValue, stopAll, waitFor } from "@repo/testing";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { SqliteDatabase } from "../src/db/sqlite.ts";
import { createApp } from "../src/http/app.ts";
import { routeTables } from "../src/routes/index.ts";
import { syncApiSettings } from "../src/settings/index.ts";
import { startSyncApi } from "./support.ts";

const DURATION_COUNT = "http_server_request_duration_seconds_count";
const route = (template: string) => `http_route="${template}"`;

describe("a worker's request metrics (the app in this process)", () => {
  let url = "";
  let metrics: HttpMetrics;
  let close = () => {};
  beforeAll(async () => {
    const settings = syncApiSettings.load({
      NODE_ENV: "test",
      SYNC_API_RATE_LIMIT__ENABLED: "true",
      SYNC_API_RATE_LIMIT__PATH: join(mkdtempSync(join(tmpdir(), "metrics-")), "rate-limit.sqlite"),
    });
    const db = new SqliteDatabase(":memory:", { busyTimeoutMs: 0 });
    migrate(db);
    const routes = routeTables.test({ settings, db, lifecycle: { draining: false } });
    metrics = createHttpMetrics({ defaultMetrics: false });
    const app = createApp(settings, { routes, db }, pino({ level: "silent" }), { metrics });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const scrape = () => metrics.registry.metrics();

  it("labels a request with its route's template, never its raw path", async () => {
    for (const id of [7301, 7302, 7303]) {
      const response = await fetch(`${url}/_test/echo/${id}?limit=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-tenant": "acme" },
        body: JSON.stringify({ email: "a@example.com", age: 1 }),
      });
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    // A refused one counts under its route too.
    const invalid = await fetch(`${url}/_test/echo/7304?limit=1`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-tenant": "acme" },
      body: "{}",
    });
    expect(invalid.status).toBe(400);
    await invalid.body?.cancel();
    const text = await scrape();
    expect(
      metricValue(
        text,
        `${DURATION_COUNT}{http_request_method="POST",http_route="/_test/echo/:id",http_response_status_code="200"}`,
      ),
    ).toBe(3);
    expect(metricSum(text, DURATION_COUNT, [route("/_test/echo/:id"), 'status_code="400"'])).toBe(1);
    expect(text).not.toMatch(/730\d/);
  });

  it("puts every unmatched path under one label, /metrics on the app's port among them (a 404 problem)", async () => {
    const before = metricSum(await scrape(), DURATION_COUNT, [route(UNMATCHED_ROUTE), 'status_code="404"']);
    for (const path of ["/no/such/thing", "/no/such/other", "/metrics"]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      await response.body?.cancel();
    }
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, [route(UNMATCHED_ROUTE), 'status_code="404"'])).toBe(before + 3);
    expect(text).not.toContain("/no/such");
  });

  it("counts health probes, HEAD and a 405 under the route's path, and in-flight requests back to 0", async () => {
    await httpGet(`${url}/healthz`);
    await httpGet(`${url}/readyz`);
    expect((await fetch(`${url}/healthz`, { method: "HEAD" })).status).toBe(200);
    const refused = await fetch(`${url}/healthz`, { method: "DELETE" });
    expect(refused.status).toBe(405);
    await refused.body?.cancel();
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, [route("/healthz"), 'method="GET"'])).toBeGreaterThanOrEqual(1);
    expect(metricSum(text, DURATION_COUNT, [route("/readyz")])).toBe(1);
    expect(metricSum(text, DURATION_COUNT, [route("/healthz"), 'method="HEAD"'])).toBe(1);
    expect(metricSum(text, DURATION_COUNT, [route("/healthz"), 'method="DELETE"', 'status_code="405"'])).toBe(1);
    expect(metricValue(text, "http_server_active_requests")).toBe(0);
  });

  it("counts a route's token and rate-limit refusals by route", async () => {
    const noToken = await fetch(`${url}/_test/whoami`);
    expect(noToken.status).toBe(401);
    await noToken.body?.cancel();
    // The contract allows 5 an hour.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`${url}/_test/limited`);
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const text = await scrape();
    expect(
      metricValue(text, 'http_server_auth_refusals_total{http_request_method="GET",http_route="/_test/whoami"}'),
    ).toBe(1);
    expect(
      metricValue(text, 'http_server_rate_limit_refusals_total{http_request_method="GET",http_route="/_test/limited"}'),
    ).toBe(2);
    expect(metricSum(text, DURATION_COUNT, [route("/_test/limited"), 'status_code="429"'])).toBe(2);
  });
});

describe("the supervisor's scrape over real workers", () => {
  afterEach(stopAll);

  /** sync-api with `workers` and its metrics on a free port, and a way to scrape it. */
  async function withMetrics(workers: number, env: Record<string, string> = {}) {
    const metricsPort = await freePort();
    const started = await startSyncApi(workers, {
      SYNC_API_METRICS__PORT: String(metricsPort),
      SYNC_API_LOG__LEVEL: "info",
      ...env,
    });
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    return { ...started, scrape };
  }

  /** `count` concurrent requests on fresh connections, each holding its worker `ms`: both workers serve some. */
  async function slowRequests(url: string, count: number, ms: number): Promise<Set<number>> {
    const pids = await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await fetch(`${url}/_test/slow?ms=${ms}`, { headers: { connection: "close" } });
        expect(response.status).toBe(200);
        return ((await response.json()) as { pid: number }).pid;
      }),
    );
    return new Set(pids);
  }

  it("sums every worker's requests: the count equals the requests sent", async () => {
    const { app, url, scrape } = await withMetrics(2);
    const sent = 12;
    const pids = await slowRequests(url, sent, 150);
    // Both workers took some (a busy worker accepts nothing on the shared socket).
    expect(pids).toEqual(new Set(descendantsOf(app.pid)));
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, [route("/_test/slow")])).toBe(sent);
    expect(metricValue(text, "sync_api_workers")).toBe(2);
    expect(metricValue(text, "sync_api_metrics_workers_unanswered")).toBe(0);
    // Each worker's event-loop delay is there, averaged over them.
    expect(text).toContain("nodejs_eventloop_lag_seconds ");
  });

  it("answers without a stuck worker, its counts kept as last received, and after it is killed", async () => {
    // The watchdog off: the test, not the watchdog, decides when the stuck worker dies.
    const { app, url, scrape } = await withMetrics(2, {
      SYNC_API_CLUSTER__WORKER_TIMEOUT_MS: "0",
      SYNC_API_METRICS__WORKER_TIMEOUT_MS: "500",
    });
    await slowRequests(url, 8, 100);
    const counted = (text: string) => metricSum(text, DURATION_COUNT, [route("/_test/slow")]);
    expect(counted(await scrape())).toBe(8);

    // One worker blocked for good; the other still answers.
    void fetch(`${url}/_test/hang`).catch(() => {});
    await waitFor("a worker to be stuck", async () => {
      const started = Date.now();
      const text = await scrape();
      return metricValue(text, "sync_api_metrics_workers_unanswered") === 1
        ? { text, ms: Date.now() - started }
        : undefined;
    }).then(({ text, ms }) => {
      expect(ms).toBeLessThan(5_000);
      expect(counted(text)).toBe(8);
      expect(metricValue(text, "sync_api_workers")).toBe(2);
    });

    // Killed: its counts stay in the sum, and its replacement's are added.
    const stuck = logLines(app).length;
    const workers = descendantsOf(app.pid);
    // The stuck one is the worker that does not answer.
    const answering = await slowRequests(url, 1, 0);
    const stuckPid = workers.find((pid) => !answering.has(pid));
    expect(stuckPid).toBeDefined();
    process.kill(stuckPid as number, "SIGKILL");
    await waitFor("a replacement to listen", async () =>
      logLines(app)
        .slice(stuck)
        .some((l) => String(l.msg).startsWith("worker died")) && descendantsOf(app.pid).length === 2
        ? true
        : undefined,
    );
    await waitFor("both workers to answer again", async () => {
      const text = await scrape();
      return metricValue(text, "sync_api_metrics_workers_unanswered") === 0 ? text : undefined;
    });
    await slowRequests(url, 4, 50);
    const text = await scrape();
    expect(counted(text)).toBe(8 + 1 + 4);
    expect(metricValue(text, 'sync_api_worker_restarts_total{reason="crash"}')).toBe(1);
  });

  it("keeps the counts of workers retired at max requests", async () => {
    const { app, url, scrape } = await withMetrics(1, {
      SYNC_API_CLUSTER__MAX_REQUESTS: "10",
      SYNC_API_CLUSTER__MAX_REQUESTS_JITTER: "0",
    });
    const firstPid = descendantsOf(app.pid)[0];
    // Until three workers have served: each keeps serving until its replacement listens.
    let sent = 0;
    const pids = new Set<number>();
    while (pids.size < 3 && sent < 1_000) {
      const response = await fetch(`${url}/_test/limited`);
      expect(response.status).toBe(200);
      pids.add(((await response.json()) as { pid: number }).pid);
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pids.size).toBe(3);
    // Retirements finish in the background (a replacement listens, then the old worker drains and
    // sends its final numbers). No scrape came before: those final numbers are all there is.
    await waitFor("the retired workers to be gone", async () =>
      descendantsOf(app.pid).length === 1 && !descendantsOf(app.pid).includes(firstPid as number) ? true : undefined,
    );
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, [route("/_test/limited")])).toBe(sent);
    expect(metricValue(text, 'sync_api_worker_restarts_total{reason="max_requests"}')).toBeGreaterThanOrEqual(
      pids.size - 1,
    );
  });

  it("a metrics port another process holds: one error line naming SYNC_API_METRICS__PORT, and the API serves on", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const { app, url } = await startSyncApi(1, { SYNC_API_METRICS__PORT: String(port) });
      await waitFor("the metrics port's error line", async () =>
        app
          .output()
          .includes(
            `metrics: cannot listen on 127.0.0.1:${port}: another process is listening there (an earlier pnpm dev or pnpm start still running?); stop it, or move this app with SYNC_API_METRICS__PORT; serving without metrics meanwhile`,
          )
          ? true
          : undefined,
      );
      expect((await httpGet(`${url}/healthz`)).status).toBe(200);
      expect(app.exitReason()).toBeUndefined();
    } finally {
      blocker.close();
    }
  });
});
