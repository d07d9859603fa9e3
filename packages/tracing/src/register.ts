/**
 * `node --import @repo/tracing/register app.js`: OpenTelemetry for a process that does not read
 * the `tracing.enabled` setting (a script, a tool). The apps need not: their settings start it
 * (docs/observability.md). Its service name is OTEL_SERVICE_NAME's.
 */
import { startTracing } from "./index.ts";

await startTracing("unknown_service:node");
