/**
 * async-api's Prometheus metrics (docs/observability.md), when `metrics.port` is set: the HTTP
 * server metrics every app records (@repo/metrics), its outbound calls by upstream, and its open
 * streams. What the process counts anyway (requests in flight, open streams) is read when scraped,
 * so a request pays for no gauge of its own.
 */
import { createHttpMetrics, Gauge, Histogram, HTTP_DURATION_BUCKETS, type HttpMetrics } from "@repo/metrics";
import type { Lifecycle } from "./lifecycle.ts";
import type { CallObserver } from "./outbound/client.ts";

export interface AsyncApiMetrics {
  readonly http: HttpMetrics;
  /** The outbound client's observer: each call's duration and outcome by upstream. */
  readonly outboundCall: CallObserver;
}

export function createAsyncApiMetrics(lifecycle: Lifecycle): AsyncApiMetrics {
  const http = createHttpMetrics({ activeRequests: () => lifecycle.inFlight });
  const { registry } = http;
  // OpenTelemetry's `http.client.request.duration`, by the upstream's settings name (bounded, unlike a URL).
  const calls = new Histogram({
    name: "http_client_request_duration_seconds",
    help: "Duration of async-api's calls to its upstreams, retries included, by upstream and outcome (ok, failed: a 4xx/5xx answer, timeout, unreachable, cancelled: the client left).",
    labelNames: ["upstream", "http_request_method", "outcome"],
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
  new Gauge({
    name: "async_api_open_streams",
    help: "Server-Sent Events streams and WebSockets open now.",
    registers: [registry],
    collect() {
      this.set(lifecycle.openStreams);
    },
  });
  return {
    http,
    outboundCall: (upstream, method, outcome, seconds) =>
      calls.observe({ upstream, http_request_method: method, outcome }, seconds),
  };
}
