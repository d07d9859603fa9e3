import { compute } from "./compute.ts";
import { asyncHealth, syncHealth } from "./health.ts";
import { notes } from "./notes.ts"; // #example
import { status } from "./status.ts";

/**
 * The public API: every controller, by the app that serves it. The OpenAPI document describes
 * exactly these, and each app's main route table serves exactly its half (a test holds them to it).
 */
export const api = {
  sync: [
    syncHealth,
    notes, // #example
    compute,
  ],
  async: [asyncHealth, status],
} as const;
