/**
 * OpenTelemetry's Node SDK with the instrumentations both apps need, loaded by `startTracing`
 * only (index.ts). Everything else is the SDK's, from the standard `OTEL_*` variables as the SDK
 * defines them: OTEL_TRACES_EXPORTER (otlp), OTEL_EXPORTER_OTLP_ENDPOINT and _PROTOCOL,
 * OTEL_TRACES_SAMPLER and _ARG, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*… Propagation is the SDK's
 * default, W3C `traceparent`/`tracestate` (and baggage).
 */
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";
import { FastifyOtelInstrumentation } from "@fastify/otel";
import { trace } from "@opentelemetry/api";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { createAddHookMessageChannel } from "import-in-the-middle";
import { publish, tracingStarted } from "./index.ts";

/** A log line outside any span gets no fields (a new object: pino merges the line into it). */
const NO_FIELDS = (): object => ({});

/** The active span's ids, for pino's `mixin`: each log line says which trace it belongs to. */
function logFields(): object {
  const span = trace.getActiveSpan();
  if (!span) return NO_FIELDS();
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export async function startSdk(serviceName: string): Promise<void> {
  if (!isMainThread || tracingStarted()) return;
  // Under ESM, Express (and any module imported rather than required) is patched only through
  // this loader hook, registered before the app's modules load. The message channel tells the
  // hook which modules the instrumentations hook, so it wraps those alone (not every module).
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);

  // OTEL_SERVICE_NAME wins; the app's name otherwise (not the SDK's `unknown_service:node`).
  process.env.OTEL_SERVICE_NAME ||= serviceName;
  const fastify = new FastifyOtelInstrumentation();
  const sdk = new NodeSDK({
    instrumentations: [
      // Server spans for both apps (incoming traceparent continued); no client spans of
      // node:http's own (every outbound call of async-api is undici's).
      new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true }),
      new ExpressInstrumentation(),
      new UndiciInstrumentation(),
      fastify,
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  publish(fastify.plugin(), logFields);
}
