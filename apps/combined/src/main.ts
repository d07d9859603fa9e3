/**
 * Combined mode's entry point (the server itself: combined.ts). With async-api's `tracing.enabled`
 * on, OpenTelemetry starts first, before Fastify, undici and Express's router are imported: its
 * loader hook instruments only what loads after it. Off, no OpenTelemetry module is loaded.
 */
import { asyncApiSettings } from "@repo/async-api/settings";
import { loadOrExit } from "@repo/shared-settings";
import { startTracing } from "@repo/tracing";

if (loadOrExit(asyncApiSettings).tracing.enabled) await startTracing("combined");
await import("./combined.ts");
