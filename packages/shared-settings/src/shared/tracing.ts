import { z } from "zod";
import { layer } from "../layer.ts";

/**
 * OpenTelemetry traces (docs/observability.md, "Traces"): off by default, since the HTTP
 * instrumentation costs every request CPU even when nothing is sampled. On, the app's main.ts
 * starts `@repo/tracing` before its server code loads; where spans go and how many are sampled is
 * the standard `OTEL_*` variables', not a setting's.
 */
export const tracingSchema = {
  tracing: z.strictObject({ enabled: z.boolean() }),
};

export const tracingLayer = layer("shared/tracing", {
  tracing: { enabled: false },
});
