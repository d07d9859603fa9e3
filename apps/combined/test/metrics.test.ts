/**
 * Combined mode's metrics: one process, one scrape on async-api's `metrics.port`, with both
 * halves' routes under their templates and the sync pool's own numbers.
 */
import { ASYNC_PREFIX, freePort, httpGet, metricSum, metricValue, stopAll, waitFor } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCombined } from "./support.ts";

const DURATION_COUNT = "http_server_request_duration_seconds_count";

describe("combined mode's metrics", () => {
  let url = "";
  let metricsUrl = "";
  beforeAll(async () => {
    const metricsPort = await freePort();
    ({ url } = await startCombined({
      ASYNC_API_METRICS__PORT: String(metricsPort),
      ASYNC_API_COMBINED__THREADS: "1",
      ASYNC_API_COMBINED__MAX_QUEUE: "0",
      ASYNC_API_COMBINED__TASK_TIMEOUT_MS: "500",
    }));
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitFor("the metrics listener", async () =>
      (await fetch(metricsUrl).catch(() => null))?.ok ? true : undefined,
    );
  });
  afterAll(stopAll);

  const scrape = async () => (await fetch(metricsUrl)).text();

  it("counts both halves' requests under their route templates", async () => {
    for (const path of ["/healthz", `${ASYNC_PREFIX}/healthz`, "/_test/echo/123?limit=1"]) {
      await httpGet(`${url}${path}`);
    }
    const text = await scrape();
    expect(metricSum(text, DURATION_COUNT, ['http_route="/healthz"'])).toBeGreaterThanOrEqual(1);
    expect(metricSum(text, DURATION_COUNT, [`http_route="${ASYNC_PREFIX}/healthz"`])).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("/_test/echo/123");
  });

  it("reports the pool: tasks pending, refusals with the queue full, tasks past their timeout", async () => {
    // One thread, no queue: a task past its 500 ms timeout (504), and one refused meanwhile (503).
    const slow = httpGet(`${url}/_test/slow?ms=2000`);
    await waitFor("the thread to be busy", async () =>
      (metricValue(await scrape(), "combined_pool_tasks_pending") ?? 0) >= 1 ? true : undefined,
    );
    expect((await httpGet(`${url}/_test/slow?ms=10`)).status).toBe(503);
    expect((await slow).status).toBe(504);
    const text = await scrape();
    // This one at least: whatever else asks the pool meanwhile is refused too.
    expect(metricValue(text, "combined_pool_refusals_total")).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "combined_pool_task_timeouts_total")).toBe(1);
    expect(metricValue(text, "combined_pool_queue_depth")).toBe(0);
  });
});
