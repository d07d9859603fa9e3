/**
 * async-api's settings stack: the ordered list of layers (DESIGN.md, "Settings layers"). Later
 * layers win; the merged result is validated once by `asyncApiSchema`. `pnpm settings async-api`
 * prints every resolved value with the layer it came from.
 */
import {
  byEnvironment,
  defineSettings,
  dotenvFiles,
  envVars,
  jsonFile,
  layer,
  type Settings,
  sharedLayers,
  sharedSchema,
  testRoutesOnlyUnderTest,
} from "@repo/shared-settings";
import { z } from "zod";

/** The route tables async-api can serve (src/routes/index.ts); the `routeTable` setting picks one. */
export const ROUTE_TABLES = ["main", "test"] as const;

export const asyncApiSchema = sharedSchema.extend({
  /** Which route table to serve: Django's ROOT_URLCONF. `test` adds test-only routes. */
  routeTable: z.enum(ROUTE_TABLES),
});

/** This app's folder (src/settings/ and dist/settings/ are both two levels down). */
const appDir = new URL("../../", import.meta.url);

export const asyncApiSettings = defineSettings({
  app: "async-api",
  envPrefix: "ASYNC_API_",
  schema: asyncApiSchema,
  layers: [
    // 1. the shared components (server, logging, http, routing, security), 2. what NODE_ENV changes in them
    ...sharedLayers(),
    // 3. this app's own layer, and what NODE_ENV changes in it
    layer("async-api", { port: 3002, routeTable: "main" }),
    byEnvironment("async-api", { development: {}, test: { routeTable: "test" }, production: {} }),
    // 4. the developer's own, git-ignored file (see settings.local.example.json)
    jsonFile(new URL("settings.local.json", appDir), { optional: true, name: "settings.local.json" }),
    // 5. .env files in this folder, then ASYNC_API_* variables, last
    dotenvFiles(appDir),
    envVars(),
  ],
  checks: [testRoutesOnlyUnderTest],
});

export type AsyncApiSettings = Settings<typeof asyncApiSchema>;
