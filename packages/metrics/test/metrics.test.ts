import { Counter, Gauge, Registry, Summary } from "@prometheus-io/client";
import { metricValue as sample } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  aggregateSnapshots,
  createHttpMetrics,
  type MetricsServer,
  mergeSnapshots,
  monotonicPart,
  registryExposition,
  serveMetrics,
  UNMATCHED_ROUTE,
} from "../src/index.ts";

describe("createHttpMetrics", () => {
  it("observes each request under its route template, method and status, and refusals by route", async () => {
    const metrics = createHttpMetrics({ defaultMetrics: false });
    const thing = metrics.route("/things/:id");
    expect(metrics.route("/things/:id")).toBe(thing);
    for (const seconds of [0.001, 0.02, 3]) {
      metrics.requestStarted();
      metrics.requestFinished(thing, "GET", 200, seconds);
    }
    metrics.requestStarted();
    metrics.requestFinished(metrics.unmatched, "BREW", 404, 0.001);
    metrics.requestStarted(); // still in flight
    metrics.rateLimited(thing, "GET");
    metrics.authRefused(thing, "DELETE");
    metrics.authRefused(thing, "DELETE");

    const text = await metrics.registry.metrics();
    const labels = 'http_request_method="GET",http_route="/things/:id",http_response_status_code="200"';
    expect(sample(text, `http_server_request_duration_seconds_count{${labels}}`)).toBe(3);
    expect(sample(text, `http_server_request_duration_seconds_bucket{le="0.005",${labels}}`)).toBe(1);
    expect(sample(text, `http_server_request_duration_seconds_bucket{le="0.025",${labels}}`)).toBe(2);
    expect(sample(text, `http_server_request_duration_seconds_bucket{le="10",${labels}}`)).toBe(3);
    // OpenTelemetry's advice: 0.005 … 10 s.
    expect(text).not.toContain('le="0.001"');
    expect(text).not.toContain('le="30"');
    // An unknown method is _OTHER: a client cannot make a series per made-up method.
    expect(
      sample(
        text,
        `http_server_request_duration_seconds_count{http_request_method="_OTHER",http_route="${UNMATCHED_ROUTE}",http_response_status_code="404"}`,
      ),
    ).toBe(1);
    expect(sample(text, "http_server_active_requests")).toBe(1);
    expect(
      sample(text, 'http_server_rate_limit_refusals_total{http_request_method="GET",http_route="/things/:id"}'),
    ).toBe(1);
    expect(sample(text, 'http_server_auth_refusals_total{http_request_method="DELETE",http_route="/things/:id"}')).toBe(
      2,
    );
  });

  it("keeps prom-client's default metrics, event-loop delay among them", async () => {
    const text = await createHttpMetrics().registry.metrics();
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("process_cpu_seconds_total");
  });
});

describe("aggregation across processes", () => {
  async function process(requests: number, inFlight: number) {
    const metrics = createHttpMetrics({ defaultMetrics: false });
    const health = metrics.route("/healthz");
    for (let i = 0; i < requests; i++) {
      metrics.requestStarted();
      metrics.requestFinished(health, "GET", 200, 0.01);
    }
    for (let i = 0; i < inFlight; i++) metrics.requestStarted();
    return metrics.registry.getMetricsAsJSON();
  }
  const count =
    'http_server_request_duration_seconds_count{http_request_method="GET",http_route="/healthz",http_response_status_code="200"}';

  it("sums histograms and gauges, and leaves summaries out", async () => {
    const withSummary = new Registry();
    new Summary({ name: "a_summary", help: "x", registers: [withSummary] }).observe(1);
    const text = await aggregateSnapshots([
      await process(3, 1),
      await process(4, 2),
      await withSummary.getMetricsAsJSON(),
    ]).metrics();
    expect(sample(text, count)).toBe(7);
    expect(sample(text, "http_server_active_requests")).toBe(3);
    expect(text).not.toContain("a_summary");
  });

  it("keeps what only grows of departed processes (counters, histograms), merged into one snapshot", async () => {
    const departed = [monotonicPart(await process(5, 2)), monotonicPart(await process(2, 1))];
    const kept = monotonicPart(await mergeSnapshots(departed));
    expect(kept.map((m) => m.name)).not.toContain("http_server_active_requests");
    const text = await aggregateSnapshots([await process(1, 1), kept]).metrics();
    expect(sample(text, count)).toBe(8);
    expect(sample(text, "http_server_active_requests")).toBe(1);

    const registry = new Registry();
    new Counter({ name: "c_total", help: "x", registers: [registry] }).inc(2);
    new Gauge({ name: "g", help: "x", registers: [registry] }).set(9);
    expect(monotonicPart(await registry.getMetricsAsJSON()).map((m) => m.name)).toEqual(["c_total"]);
  });
});

describe("serveMetrics", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves GET /metrics in the registry's content type, and nothing else", async () => {
    const metrics = createHttpMetrics({ defaultMetrics: false });
    metrics.requestStarted();
    server = await serveMetrics({ host: "127.0.0.1", port: 0, collect: registryExposition(metrics.registry) });
    const base = `http://127.0.0.1:${server.port}`;

    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toBe(metrics.registry.contentType);
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(await scrape.text(), "http_server_active_requests")).toBe(1);

    for (const path of ["/", "/metrics/", "/healthz", "/metricsx"]) {
      const other = await fetch(`${base}${path}`);
      expect(other.status, path).toBe(404);
      expect(other.headers.get("content-type")).toBe("application/problem+json");
      expect(await other.json()).toMatchObject({ status: 404, title: "Not Found" });
    }
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await post.body?.cancel();
  });

  it("answers a failed collection with a 500 and says why to onError", async () => {
    const errors: unknown[] = [];
    server = await serveMetrics({
      host: "127.0.0.1",
      port: 0,
      collect: () => Promise.reject(new Error("boom")),
      onError: (error) => errors.push(error),
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(500);
    await response.body?.cancel();
    expect(errors).toEqual([new Error("boom")]);
  });

  it("rejects with the listen error when its port is taken", async () => {
    server = await serveMetrics({ host: "127.0.0.1", port: 0, collect: registryExposition(new Registry()) });
    await expect(
      serveMetrics({ host: "127.0.0.1", port: server.port, collect: registryExposition(new Registry()) }),
    ).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
