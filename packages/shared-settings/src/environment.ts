import type { LayerSource, SettingsValues } from "./layer.ts";

/** The values `NODE_ENV` may take. Unset means development, as with Express and most of Node. */
export const ENVIRONMENTS = ["development", "test", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: unknown): value is Environment {
  return (ENVIRONMENTS as readonly unknown[]).includes(value);
}

/** The environment `NODE_ENV` names, or an error message for a value outside ENVIRONMENTS. */
export function environmentOf(env: Readonly<Record<string, string | undefined>>): Environment | { error: string } {
  const value = env.NODE_ENV ?? "";
  if (value === "") return "development";
  if (isEnvironment(value)) return value;
  return { error: `unknown environment ${JSON.stringify(value)}; expected one of ${ENVIRONMENTS.join(", ")}` };
}

/**
 * The layer for the environment `NODE_ENV` names, picked from one entry per environment, so that
 * adding an environment is a compile error until every stack says what it means there.
 */
export function byEnvironment(owner: string, layers: { readonly [E in Environment]: SettingsValues }): LayerSource {
  return ({ env }) => {
    const environment = environmentOf(env);
    if (typeof environment !== "string") {
      return { layers: [], problems: [{ key: "NODE_ENV", source: "env NODE_ENV", message: environment.error }] };
    }
    return { layers: [{ name: `${owner}/${environment}`, values: layers[environment] }], problems: [] };
  };
}
