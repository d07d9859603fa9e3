/** The proxy's own settings stack: where it listens. `PORT` is the proxy's (docs/settings.md). */
import {
  byEnvironment,
  defineSettings,
  envVars,
  layer,
  type Settings,
  sharedLayers,
  sharedSchema,
} from "@repo/shared-settings";
import { z } from "zod";

export const proxySchema = sharedSchema.pick({ host: true, port: true, log: true, shutdown: true }).extend({
  /**
   * How long a request waits for an app that is restarting (its watcher reloading it after a save)
   * before the client gets a 502. 0: never wait, as nginx does not.
   */
  restartHoldMs: z.int().min(0).max(120_000),
});

export const proxySettings = defineSettings({
  app: "dev-proxy",
  envPrefix: "PROXY_",
  envAliases: { PORT: ["port"] },
  schema: proxySchema,
  layers: [
    // the shared components it uses (the async prefix is async-api's, read from its stack)
    ...sharedLayers(["server", "logging"]),
    layer("dev-proxy", { port: 8080, log: { level: "info" }, restartHoldMs: 0 }),
    // Reloads under `pnpm dev` drop nothing; a stopped app under `pnpm start` fails fast, as behind nginx.
    byEnvironment("dev-proxy", { development: { restartHoldMs: 15_000 }, test: {}, production: {} }),
    envVars(),
  ],
});

export type ProxySettings = Settings<typeof proxySchema>;

export { targetOf } from "@repo/shared-settings";
