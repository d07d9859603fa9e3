import { type MetricObjectWithValues, type MetricValue, Registry } from "@prometheus-io/client";

/** One process's metrics as `registry.getMetricsAsJSON()` gives them: plain data, fit for IPC. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * What of a snapshot still counts once its process is gone or silent: counters and histograms,
 * which only grow. Its gauges (requests in flight, heap) were true of that moment only.
 */
export function monotonicPart(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((metric) => metric.type === "counter" || metric.type === "histogram");
}

/**
 * Several processes' snapshots as one registry, each metric combined by its `aggregator` (a sum
 * unless it says otherwise: prom-client's default metrics average the event-loop delay, keep the
 * first Node version). Summaries are left out: their quantiles do not add up across processes
 * (the event-loop utilisation's histogram, which does, stays).
 */
export function aggregateSnapshots(snapshots: readonly MetricsSnapshot[]): Registry {
  return Registry.aggregate(snapshots.map((snapshot) => snapshot.filter((metric) => metric.type !== "summary")));
}

/**
 * Several snapshots merged into one (`aggregateSnapshots`, read back): what a supervisor makes of
 * the snapshots of workers that exited, so that what it keeps of them does not grow with restarts.
 */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): Promise<MetricsSnapshot> {
  return aggregateSnapshots(snapshots).getMetricsAsJSON();
}
