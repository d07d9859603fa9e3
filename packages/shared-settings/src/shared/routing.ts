import { z } from "zod";
import { deploymentWide } from "../deployment-wide.ts";
import { layer } from "../layer.ts";

/**
 * The path prefix the proxy sends to the async app. One setting for the whole deployment, read
 * from `ASYNC_PREFIX` by async-api (which mounts every route under it), sync-api (its OpenAPI
 * document), the dev proxy, the nginx template, the contracts' client and the
 * tests: an app's own layers cannot set it (docs/settings.md, "Deployment-wide settings").
 */
export const DEFAULT_ASYNC_PREFIX = "/async";

/** The one variable that sets the async prefix, unprefixed like `NODE_ENV`: every part reads it. */
export const ASYNC_PREFIX_VARIABLE = "ASYNC_PREFIX";

const asyncPrefix = z.string().regex(/^(\/[A-Za-z0-9._~-]+)+$/, "a path such as /async: starts with /, no trailing /");

export const routingSchema = {
  asyncPrefix: deploymentWide(asyncPrefix, ASYNC_PREFIX_VARIABLE),
};

export const routingLayer = layer("shared/routing", {
  asyncPrefix: DEFAULT_ASYNC_PREFIX,
});

/**
 * The deployment's async prefix as the apps resolve it, for the parts without a settings stack
 * (test harness, e2e, bench, scripts): `ASYNC_PREFIX`, or the default. A bad value throws,
 * naming the variable.
 */
export function resolveAsyncPrefix(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const raw = env[ASYNC_PREFIX_VARIABLE];
  if (raw === undefined || raw === "") return DEFAULT_ASYNC_PREFIX;
  const parsed = asyncPrefix.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${ASYNC_PREFIX_VARIABLE}: ${parsed.error.issues.map((i) => i.message).join("; ")}, got ${JSON.stringify(raw)}`,
    );
  }
  return parsed.data;
}
