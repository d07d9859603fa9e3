/**
 * async-api's settings stack: the ordered list of layers (DESIGN.md, "Settings layers").
 * Later layers win; the merged result is validated once by `asyncApiSchema`.
 */
import {
  defineSettings,
  envVars,
  layer,
  type Settings,
  sharedEnvironmentLayer,
  sharedLayers,
  sharedSchema,
} from "@repo/shared-settings";

export const asyncApiSchema = sharedSchema.extend({});

export const asyncApiSettings = defineSettings({
  app: "async-api",
  envPrefix: "ASYNC_API_",
  schema: asyncApiSchema,
  layers: [
    ...sharedLayers, // shared components: server, logging, routing
    sharedEnvironmentLayer, // what NODE_ENV changes in them
    layer("async-api", { port: 3002 }), // this app's own layer
    envVars(), // ASYNC_API_* variables, last
  ],
});

export type AsyncApiSettings = Settings<typeof asyncApiSchema>;
