/**
 * Prometheus metrics both apps share (docs/observability.md), on @prometheus-io/client (prom-client's
 * successor): the HTTP server metrics a process records, the aggregation of several processes'
 * snapshots (sync-api's workers), and the listener that serves `GET /metrics` on its own port.
 */
// The library's own metric types, for an app's metrics of its own (one version for the workspace).
export { Counter, Gauge, Histogram, Registry } from "@prometheus-io/client";
export { aggregateSnapshots, type MetricsSnapshot, mergeSnapshots, monotonicPart } from "./aggregate.ts";
export {
  createHttpMetrics,
  HTTP_DURATION_BUCKETS,
  type HttpMetrics,
  type HttpMetricsOptions,
  RouteMetrics,
  UNMATCHED_ROUTE,
} from "./http.ts";
export {
  type Exposition,
  METRICS_PATH,
  type MetricsServer,
  registryExposition,
  serveMetrics,
  serveScrapes,
} from "./server.ts";
