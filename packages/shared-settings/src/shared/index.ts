import { z } from "zod";
import { byEnvironment } from "../environment.ts";
import type { LayerSource } from "../layer.ts";
import { loggingLayer, loggingSchema } from "./logging.ts";
import { routingLayer, routingSchema } from "./routing.ts";
import { serverLayer, serverSchema } from "./server.ts";

export { LOG_LEVELS, loggerOptions, loggingLayer } from "./logging.ts";
export { DEFAULT_ASYNC_PREFIX, routingLayer } from "./routing.ts";
export { serverLayer } from "./server.ts";

/** The keys every app has. An app's schema extends this with its own keys. */
export const sharedSchema = z.strictObject({
  ...serverSchema,
  ...loggingSchema,
  ...routingSchema,
});

/** Layer 1 of every stack: the shared components, in order. */
export const sharedLayers: readonly LayerSource[] = [serverLayer, loggingLayer, routingLayer];

/** Layer 2 of every stack: what each `NODE_ENV` changes in the shared components. */
export const sharedEnvironmentLayer: LayerSource = byEnvironment("shared", {
  development: { log: { level: "debug" } },
  test: { log: { level: "warn" } },
  production: { log: { level: "info" } },
});
