/**
 * sync-api's metrics as a real Prometheus (Debian's) reads them: the supervisor's one scrape target
 * for two workers, counting exactly the requests sent; and the metrics port reachable through no
 * proxy (the dev proxy and nginx answer `/metrics` with the app's 404 problem).
 */
import {
  type DevStack,
  freePort,
  metricSum,
  nginxInFront,
  nginxMissing,
  type PrometheusServer,
  prometheusMissing,
  runsHere,
  startDevStack,
  startPrometheus,
  stopAll,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const withPrometheus = describe.skipIf(!runsHere("Prometheus scraping sync-api", prometheusMissing()));
const ROUTE = "/_test/limited";

withPrometheus("sync-api scraped by Prometheus", () => {
  let stack: DevStack;
  let prometheus: PrometheusServer | undefined;
  let metricsUrl = "";
  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    stack = await startDevStack({ syncWorkers: 2, syncEnv: { SYNC_API_METRICS__PORT: String(metricsPort) } });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${metricsPort}`] });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await stopAll();
  });

  it("counts every request sent, over both workers, in one target", async () => {
    const sent = 40;
    const pids = new Set<number>();
    // Fresh connections, several at once: both workers take some.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < sent / 4; i++) {
          const response = await fetch(`${stack.syncUrl}${ROUTE}`, { headers: { connection: "close" } });
          expect(response.status).toBe(200);
          pids.add(((await response.json()) as { pid: number }).pid);
        }
      }),
    );
    const query = `sum(http_server_request_duration_seconds_count{http_route="${ROUTE}"})`;
    await prometheus?.waitForValue(query, sent);
    // What Prometheus stored is what the target says now.
    const text = await (await fetch(metricsUrl)).text();
    expect(metricSum(text, "http_server_request_duration_seconds_count", [`http_route="${ROUTE}"`])).toBe(sent);
    expect(await prometheus?.query('up{job="app"}')).toBe(1);
    expect(await prometheus?.query("sync_api_workers")).toBe(2);
    expect(pids.size).toBeGreaterThanOrEqual(1);
  });

  it("is not served through the dev proxy: /metrics there is the app's 404 problem", async () => {
    for (const path of ["/metrics", "/metrics/"]) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const body = await response.text();
      expect(body).not.toContain("http_server_request_duration_seconds");
      expect(JSON.parse(body)).toMatchObject({ status: 404, instance: path });
    }
  });

  it.skipIf(!runsHere("/metrics through nginx", nginxMissing()))(
    "is not served through nginx's template either",
    async () => {
      const { url, nginx } = await nginxInFront(stack);
      try {
        const response = await fetch(`${url}/metrics`);
        expect(response.status).toBe(404);
        expect(response.headers.get("content-type")).toContain("application/problem+json");
        expect(await response.text()).not.toContain("http_server_request_duration_seconds");
      } finally {
        await nginx.stop("SIGQUIT");
      }
    },
  );
});
