/**
 * OpenTelemetry traces, opt-in (docs/observability.md, "Traces"). This module loads no
 * OpenTelemetry code: an app imports it always, and only `startTracing` (when the app's
 * `tracing.enabled` setting is on) loads the SDK and its instrumentations (./sdk.ts). Measured:
 * the HTTP instrumentation costs Express and Fastify 2–3× CPU per request even when nothing is
 * sampled, so with tracing off not one OpenTelemetry module is loaded.
 */
import type { FastifyPluginCallback } from "fastify";

/**
 * What a started SDK leaves for the rest of the process, on `globalThis` under `Symbol.for` keys
 * so that every copy of a module sees it (sources under `pnpm dev`, dist/ in production):
 * - the Fastify plugin (`fastifyTracing`);
 * - the fields of a log line (`@repo/shared-settings`'s logger adds them as pino's `mixin`).
 */
export const FASTIFY_PLUGIN_KEY = Symbol.for("@repo/tracing.fastifyPlugin");
export const LOG_FIELDS_KEY = Symbol.for("@repo/tracing.logFields");

type Slots = { [FASTIFY_PLUGIN_KEY]?: FastifyPluginCallback; [LOG_FIELDS_KEY]?: () => object };
const slots = globalThis as typeof globalThis & Slots;

/**
 * Starts OpenTelemetry's Node SDK in this process, configured by the standard `OTEL_*`
 * variables; `serviceName` is the default of `OTEL_SERVICE_NAME`. Call it before the app's
 * server code is imported (the app's main.ts does, then imports the rest): the ESM loader hook it
 * registers instruments only modules loaded after it. Once per process; a worker thread never
 * starts it (combined mode's sync threads serve no HTTP).
 */
export async function startTracing(serviceName: string): Promise<void> {
  const { startSdk } = await import("./sdk.ts");
  await startSdk(serviceName);
}

/** Whether this process started the SDK. */
export function tracingStarted(): boolean {
  return slots[LOG_FIELDS_KEY] !== undefined;
}

/**
 * `@fastify/otel`'s plugin when tracing is on, for the app to `register` before its routes;
 * `undefined` when it is off (nothing to register, nothing loaded).
 */
export function fastifyTracing(): FastifyPluginCallback | undefined {
  return slots[FASTIFY_PLUGIN_KEY];
}

/** Called by ./sdk.ts once the SDK runs. */
export function publish(plugin: FastifyPluginCallback, logFields: () => object): void {
  slots[FASTIFY_PLUGIN_KEY] = plugin;
  slots[LOG_FIELDS_KEY] = logFields;
}
