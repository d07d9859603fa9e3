import type { ZodType } from "zod";

/**
 * A settings layer is a named, partial settings object. An app's settings are an ordered list of
 * layers (see docs/settings.md), merged first to last and validated once at the end.
 */

/** A partial settings object, as a layer gives it: plain JSON-like data. */
export type SettingsValues = { readonly [key: string]: unknown };

export interface Layer {
  /** Where the values come from, shown as the source of every value this layer sets. */
  readonly name: string;
  readonly values: SettingsValues;
}

/** Something wrong with one key, found while loading a layer or when validating the merged result. */
export interface Problem {
  /** Dotted settings key (`log.level`), or the variable's name when no key applies (`NODE_ENV`). */
  readonly key: string;
  /** The layer (or variable) the bad value came from. */
  readonly source: string;
  /** What was expected, in words. */
  readonly message: string;
}

/** What a layer loader sees: the process environment and the settings stack it belongs to. */
export interface LoadContext {
  readonly app: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prefix of this app's environment variables, e.g. `SYNC_API_`. */
  readonly envPrefix: string;
  /** Unprefixed variables that also set a key, e.g. `{ PORT: ["port"] }` for the proxy. */
  readonly envAliases: Readonly<Record<string, readonly string[]>>;
  /** The app's whole settings schema, which environment variables are coerced against. */
  readonly schema: ZodType;
}

/** The result of loading one entry of the layer list: zero or more layers, and any problems found. */
export interface LayerOutcome {
  readonly layers: readonly Layer[];
  readonly problems: readonly Problem[];
}

/** One entry of an app's layer list: a fixed layer, or a loader that reads the environment. */
export type LayerSource = Layer | ((context: LoadContext) => LayerOutcome);

/** A fixed layer: `layer("shared/server", { host: "127.0.0.1" })`. */
export function layer(name: string, values: SettingsValues): Layer {
  return { name, values };
}

export function loadLayerSource(source: LayerSource, context: LoadContext): LayerOutcome {
  return typeof source === "function" ? source(context) : { layers: [source], problems: [] };
}
