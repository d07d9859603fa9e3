/**
 * The shared component layers (docs/settings.md: layer 1) and what each NODE_ENV changes in them
 * (layer 2). Each component is a schema fragment, its default values, and its per-environment
 * values; an app takes all of them, the proxy only those it uses.
 */
import { z } from "zod";
import { byEnvironment, type Environment } from "../environment.ts";
import type { Layer, LayerSource, SettingsValues } from "../layer.ts";
import { isPlainObject } from "../merge.ts";
import { authByEnvironment, authLayer, authSchema } from "./auth.ts";
import { httpByEnvironment, httpLayer, httpSchema } from "./http.ts";
import { loggingByEnvironment, loggingLayer, loggingSchema } from "./logging.ts";
import { metricsLayer, metricsSchema } from "./metrics.ts";
import { rateLimitByEnvironment, rateLimitLayer, rateLimitSchema } from "./rate-limit.ts";
import { routingLayer, routingSchema } from "./routing.ts";
import { securityByEnvironment, securitySchema } from "./security.ts";
import { serverByEnvironment, serverLayer, serverSchema } from "./server.ts";
import { tracingLayer, tracingSchema } from "./tracing.ts";

export { developmentAuth } from "./auth.ts";
export { serverTimeouts } from "./http.ts";
export { createLogger, exitWhenLogged, LOG_LEVELS, loggerOptions, logSerializers } from "./logging.ts";
export { type MetricsSettings, metricsSchema } from "./metrics.ts";
export {
  RATE_LIMIT_ROUTE_KEY,
  type RateLimitSettings,
  type RateLimitValue,
  rateLimitSchema,
  rateLimitValue,
} from "./rate-limit.ts";
export { ASYNC_PREFIX_VARIABLE, DEFAULT_ASYNC_PREFIX, resolveAsyncPrefix } from "./routing.ts";
export { listenFailure, targetOf } from "./server.ts";

interface Component {
  readonly defaults?: Layer;
  readonly byEnvironment?: { readonly [E in Environment]?: SettingsValues };
}

const components = {
  server: { defaults: serverLayer, byEnvironment: serverByEnvironment },
  logging: { defaults: loggingLayer, byEnvironment: loggingByEnvironment },
  http: { defaults: httpLayer, byEnvironment: httpByEnvironment },
  routing: { defaults: routingLayer },
  security: { byEnvironment: securityByEnvironment },
  rateLimit: { defaults: rateLimitLayer, byEnvironment: rateLimitByEnvironment },
  auth: { defaults: authLayer, byEnvironment: authByEnvironment },
  metrics: { defaults: metricsLayer },
  tracing: { defaults: tracingLayer },
} satisfies Record<string, Component>;

export type SharedComponent = keyof typeof components;
const ALL = Object.keys(components) as SharedComponent[];

/** The keys every app has. An app's schema extends this with its own keys. */
export const sharedSchema = z.strictObject({
  ...serverSchema,
  ...loggingSchema,
  ...httpSchema,
  ...routingSchema,
  ...securitySchema,
  ...rateLimitSchema,
  ...authSchema,
  ...metricsSchema,
  ...tracingSchema,
});

/**
 * Layers 1 and 2 of a stack: the default values of the shared components, in order, then the
 * layer for NODE_ENV with what each environment changes in them.
 */
export function sharedLayers(names: readonly SharedComponent[] = ALL): LayerSource[] {
  const chosen: Component[] = names.map((name) => components[name]);
  const perEnvironment = (environment: Environment) =>
    chosen.reduce<Record<string, unknown>>(
      (merged, c) => mergeShallow(merged, c.byEnvironment?.[environment] ?? {}),
      {},
    );
  return [
    ...chosen.flatMap((c) => (c.defaults ? [c.defaults] : [])),
    byEnvironment("shared", {
      development: perEnvironment("development"),
      test: perEnvironment("test"),
      production: perEnvironment("production"),
    }),
  ];
}

/** Components set disjoint keys; objects one level down (`log`) are combined. */
function mergeShallow(target: Record<string, unknown>, values: SettingsValues): Record<string, unknown> {
  const out = { ...target };
  for (const [key, value] of Object.entries(values)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? { ...existing, ...value } : value;
  }
  return out;
}
