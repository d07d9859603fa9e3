/** The proxy's own settings stack: where it listens. `PORT` is the proxy's (docs/settings.md). */
import { defineSettings, envVars, layer, type Settings, sharedLayers, sharedSchema } from "@repo/shared-settings";

export const proxySchema = sharedSchema.pick({ host: true, port: true, log: true, shutdown: true });

export const proxySettings = defineSettings({
  app: "dev-proxy",
  envPrefix: "PROXY_",
  envAliases: { PORT: ["port"] },
  schema: proxySchema,
  layers: [
    // the shared components it uses (the async prefix is async-api's, read from its stack)
    ...sharedLayers(["server", "logging"]),
    layer("dev-proxy", { port: 8080, log: { level: "info" } }),
    envVars(),
  ],
});

export type ProxySettings = Settings<typeof proxySchema>;

export { targetOf } from "@repo/shared-settings";
