import { z } from "zod";
import { layer } from "../layer.ts";

/**
 * The path prefix the proxy sends to the async app. One setting, read by async-api (which mounts
 * every route under it), the dev proxy, the nginx template and the contracts.
 */
export const DEFAULT_ASYNC_PREFIX = "/async";

export const routingSchema = {
  asyncPrefix: z.string().regex(/^(\/[A-Za-z0-9._~-]+)+$/, "a path such as /async: starts with /, no trailing /"),
};

export const routingLayer = layer("shared/routing", {
  asyncPrefix: DEFAULT_ASYNC_PREFIX,
});
