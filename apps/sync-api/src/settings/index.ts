/**
 * sync-api's settings stack: the ordered list of layers (DESIGN.md, "Settings layers").
 * Later layers win; the merged result is validated once by `syncApiSchema`.
 */
import { availableParallelism } from "node:os";
import {
  defineSettings,
  envVars,
  layer,
  type Settings,
  sharedEnvironmentLayer,
  sharedLayers,
  sharedSchema,
} from "@repo/shared-settings";
import { z } from "zod";

export const syncApiSchema = sharedSchema.extend({
  /** Pre-forked worker processes, like gunicorn's `workers`. */
  workers: z.int().min(1).max(512),
  /**
   * Who hands new connections to workers. `os` (gunicorn's model): every worker accepts on the
   * shared socket, so a worker stuck in a blocking handler takes no new connection and a killed
   * worker leaves none stranded. `round-robin`: the supervisor deals connections out in turn
   * (Node's default), which spreads load evenly but also queues them behind a busy worker.
   */
  scheduling: z.enum(["os", "round-robin"]),
});

export const syncApiSettings = defineSettings({
  app: "sync-api",
  envPrefix: "SYNC_API_",
  schema: syncApiSchema,
  layers: [
    ...sharedLayers, // shared components: server, logging, routing
    sharedEnvironmentLayer, // what NODE_ENV changes in them
    layer("sync-api", { port: 3001, workers: availableParallelism(), scheduling: "os" }), // this app's own layer
    envVars(), // SYNC_API_* variables, last
  ],
});

export type SyncApiSettings = Settings<typeof syncApiSchema>;
