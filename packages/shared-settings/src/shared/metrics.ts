import { z } from "zod";
import { layer } from "../layer.ts";

/**
 * The Prometheus metrics listener (docs/observability.md): a port of its own, apart from the app's,
 * so no proxy ever forwards to it. It binds the app's own `host` (compose sets 0.0.0.0 there), so
 * Prometheus on the compose network reaches it where nginx reaches the app: a second address
 * setting would only be one more to keep in step.
 */
export const metricsSchema = {
  metrics: z.strictObject({
    /** Where `GET /metrics` is served; 0 turns metrics off (nothing is recorded then). */
    port: z.int().min(0).max(65535),
  }),
};

export type MetricsSettings = z.infer<(typeof metricsSchema)["metrics"]>;

/** Off unless an app's own layer gives its port: the dev proxy, which shares these layers, has none. */
export const metricsLayer = layer("shared/metrics", {
  metrics: { port: 0 },
});
