import { z } from "zod";
import type { Layer, Problem } from "./layer.ts";
import { keyPaths } from "./schema.ts";

/**
 * Keys that are one value for the whole deployment (docs/settings.md, "Deployment-wide
 * settings"): set only by one unprefixed variable that every part reads (both apps, the proxies,
 * nginx's template, the tests), as `NODE_ENV` is, so two parts can never disagree on them.
 */
const deploymentWideSchemas = z.registry<{ variable: string }>();

/** Marks a settings key as deployment-wide, set by `variable` alone: `deploymentWide(z.string(), "ASYNC_PREFIX")`. */
export function deploymentWide<T extends z.ZodType>(schema: T, variable: string): T {
  deploymentWideSchemas.add(schema, { variable });
  return schema;
}

export interface DeploymentWideKey {
  readonly path: readonly string[];
  readonly variable: string;
}

/** Every deployment-wide key of a settings schema, with its variable. */
export function deploymentWideKeys(schema: z.ZodType): DeploymentWideKey[] {
  return [...keyPaths(schema)].flatMap(({ path, schema: s }) => {
    const meta = deploymentWideSchemas.get(s);
    return meta ? [{ path, variable: meta.variable }] : [];
  });
}

function sets(values: unknown, path: readonly string[]): boolean {
  let current = values;
  for (const key of path) {
    if (typeof current !== "object" || current === null || !(key in current)) return false;
    current = (current as Record<string, unknown>)[key];
  }
  return true;
}

/**
 * A problem for every layer that sets a deployment-wide key other than the shared layers (the
 * code's default, the same in every app) and the process environment's variable: an app's own
 * layer, its settings.local.json, its .env files or its prefixed variable (`SYNC_API_ASYNC_PREFIX`)
 * would let one app differ from the rest.
 */
export function deploymentWideProblems(layers: readonly Layer[], schema: z.ZodType): Problem[] {
  return deploymentWideKeys(schema).flatMap(({ path, variable }) =>
    layers
      .filter((layer) => !layer.name.startsWith("shared/") && layer.name !== `env ${variable}`)
      .filter((layer) => sets(layer.values, path))
      .map((layer) => ({
        key: path.join("."),
        source: layer.name,
        message: layer.name.endsWith(` ${variable}`)
          ? `${variable} is read from the process environment only, the same for every part of the deployment, not from a file`
          : `one value for the whole deployment, so the apps and proxies cannot disagree: set ${variable} instead`,
      })),
  );
}
