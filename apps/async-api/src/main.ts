/**
 * async-api's entry point: one process, one event loop (src/server.ts). Reads its settings first,
 * so invalid settings stop it before it listens.
 */
import { loadOrExit } from "@repo/shared-settings";
import { runAsyncServer } from "./server.ts";
import { asyncApiSettings } from "./settings/index.ts";

await runAsyncServer(loadOrExit(asyncApiSettings));
