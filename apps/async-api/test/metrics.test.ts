/**
 * async-api's Prometheus metrics, as it runs: a real process with its metrics on a port of its own,
 * scraped over HTTP. Route templates and never raw paths, refusals by route, a response its client
 * left, requests in flight, and outbound calls by upstream and outcome.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signToken, TEST_SCOPE } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  freePort,
  httpGet,
  metricSum,
  metricValue,
  startApp,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DURATION_COUNT = "http_server_request_duration_seconds_count";
const route = (template: string) => `http_route="${template}"`;
const status = (code: number) => `http_response_status_code="${code}"`;

describe("async-api's metrics", () => {
  let url = "";
  let metricsUrl = "";
  let upstream: Server;
  beforeAll(async () => {
    // An upstream that answers its status path, and one nobody listens on.
    upstream = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const [port, metricsPort, closedPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const app = startApp("async-api", {
      env: {
        ASYNC_API_PORT: String(port),
        ASYNC_API_METRICS__PORT: String(metricsPort),
        ASYNC_API_RATE_LIMIT__ENABLED: "true",
        ASYNC_API_UPSTREAMS: JSON.stringify({
          "sync-api": { url: upstreamUrl, statusPath: "/readyz" },
          down: { url: `http://127.0.0.1:${closedPort}`, statusPath: "/readyz" },
        }),
        ASYNC_API_OUTBOUND__RETRY__MAX_RETRIES: "0",
      },
    });
    url = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { abortIf: app.exitReason });
    // It listens once the app does: text, not JSON, so not waitForHttp.
    await waitFor("the metrics listener", async () =>
      (await fetch(metricsUrl).catch(() => null))?.ok ? true : undefined,
    );
  });
  afterAll(async () => {
    await stopAll();
    upstream?.close();
  });

  const scrape = async () => {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it("counts each request under its route's template, health probes included", async () => {
    for (let i = 0; i < 3; i++) expect((await httpGet(`${url}${ASYNC_PREFIX}/healthz`)).status).toBe(200);
    const text = await scrape();
    // waitForHttp's probes came first: at least the three here, all 200s under one series.
    const count = metricValue(
      text,
      `${DURATION_COUNT}{http_request_method="GET",http_route="${ASYNC_PREFIX}/healthz",http_response_status_code="200"}`,
    );
    expect(count).toBeGreaterThanOrEqual(3);
    expect(text).toContain("# TYPE http_server_request_duration_seconds histogram");
    expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
  });

  it("puts every unmatched path under one label, /metrics on the app's port among them (a 404 problem)", async () => {
    const before = metricSum(await scrape(), DURATION_COUNT, [route("unmatched"), status(404)]);
    for (const path of [`${ASYNC_PREFIX}/no/such/8812`, "/no/such/8813", "/metrics"]) {
      const answer = await httpGet(`${url}${path}`);
      expect(answer.status).toBe(404);
      expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
    }
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, [route("unmatched"), status(404)])).toBe(before + 3);
    expect(text).not.toMatch(/881[23]/);
  });

  it("counts the requests a route's rate limit and its token check refuse", async () => {
    const limited = `${ASYNC_PREFIX}/_test/limited`;
    const answers = await Promise.all(Array.from({ length: 7 }, () => httpGet(`${url}${limited}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const whoami = `${ASYNC_PREFIX}/_test/whoami`;
    expect((await httpGet(`${url}${whoami}`)).status).toBe(401);
    const token = await signToken(developmentAuth, { subject: "metrics-test", scopes: ["another:scope"], ttlS: 60 });
    expect((await fetch(`${url}${whoami}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    const allowed = await signToken(developmentAuth, { subject: "metrics-test", scopes: [TEST_SCOPE], ttlS: 60 });
    expect((await fetch(`${url}${whoami}`, { headers: { authorization: `Bearer ${allowed}` } })).status).toBe(200);

    // #region example
    // A stream's token is checked by a hook of its own: refused there, counted all the same.
    const events = `${ASYNC_PREFIX}/events/notes`;
    expect((await httpGet(`${url}${events}`)).status).toBe(401);
    // #endregion example

    const text = await scrape();
    expect(metricSum(text, "http_server_auth_refusals_total", [route(events)])).toBe(1); // #example
    expect(metricSum(text, "http_server_rate_limit_refusals_total", [route(limited)])).toBe(2);
    expect(metricSum(text, DURATION_COUNT, [route(limited), status(429)])).toBe(2);
    expect(metricSum(text, "http_server_auth_refusals_total", [route(whoami)])).toBe(2);
    expect(metricSum(text, DURATION_COUNT, [route(whoami), status(401)])).toBe(1);
    expect(metricSum(text, DURATION_COUNT, [route(whoami), status(403)])).toBe(1);
  });

  it("shows a request in flight, and records one its client left as 499", async () => {
    const slow = `${ASYNC_PREFIX}/_test/slow`;
    const leaving = new AbortController();
    const left = fetch(`${url}${slow}?ms=1500`, { signal: leaving.signal }).catch(() => "left");
    await waitFor("the slow request in flight", async () =>
      (metricValue(await scrape(), "http_server_active_requests") ?? 0) >= 1 ? true : undefined,
    );
    leaving.abort();
    expect(await left).toBe("left");
    await waitFor("the left request recorded", async () =>
      metricSum(await scrape(), DURATION_COUNT, [route(slow), status(499)]) === 1 ? true : undefined,
    );
    expect(metricValue(await scrape(), "http_server_active_requests")).toBe(0);
  });

  it("measures outbound calls by upstream and outcome", async () => {
    const answer = await httpGet(`${url}${ASYNC_PREFIX}/status`);
    expect(answer.status).toBe(502);
    const text = await scrape();
    const calls = "http_client_request_duration_seconds_count";
    expect(metricSum(text, calls, ['upstream="sync-api"', 'outcome="ok"'])).toBe(1);
    expect(metricSum(text, calls, ['upstream="down"', 'outcome="unreachable"'])).toBe(1);
  });

  it("serves nothing but /metrics on its port", async () => {
    const other = await httpGet(metricsUrl.replace("/metrics", `${ASYNC_PREFIX}/healthz`));
    expect(other.status).toBe(404);
    expect(other.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });
});
