import { z } from "zod";
import { layer } from "../layer.ts";

/** Where an app listens and how long it may take to stop. Each app's own layer sets its `port`. */
export const serverSchema = {
  /** Interface to bind. 127.0.0.1 keeps an app private to the machine; compose sets 0.0.0.0. */
  host: z.string().min(1),
  port: z.int().min(1).max(65535),
  shutdown: z.strictObject({
    /** How long in-flight requests get to finish after SIGTERM before the process stops anyway. */
    gracefulTimeoutMs: z.int().positive(),
    /**
     * Once draining, how long a keep-alive connection that was idle may still send one more
     * request (answered with `Connection: close`) before it is closed.
     */
    idleConnectionGraceMs: z.int().min(0),
  }),
};

export const serverLayer = layer("shared/server", {
  host: "127.0.0.1",
  shutdown: { gracefulTimeoutMs: 30_000, idleConnectionGraceMs: 1_000 },
});
