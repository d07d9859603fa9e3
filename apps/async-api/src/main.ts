/**
 * async-api's entry point: one process, one event loop (src/server.ts). Reads its settings first,
 * so invalid settings stop it before it listens. With `tracing.enabled` on, OpenTelemetry starts
 * next, before the server's modules (Fastify, undici) are imported, which is why they are
 * imported here and not above: its loader hook instruments only what loads after it. Off, no
 * OpenTelemetry module is loaded.
 */
import { loadOrExit } from "@repo/shared-settings";
import { startTracing } from "@repo/tracing";
import { asyncApiSettings } from "./settings/index.ts";

const settings = loadOrExit(asyncApiSettings);
if (settings.tracing.enabled) await startTracing("async-api");
const { runAsyncServer } = await import("./server.ts");
await runAsyncServer(settings);
