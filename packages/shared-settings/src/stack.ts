import type { z } from "zod";
import { deploymentWideProblems } from "./deployment-wide.ts";
import { envVarName } from "./env-vars.ts";
import { type Environment, environmentOf } from "./environment.ts";
import { type Layer, type LayerSource, type LoadContext, loadLayerSource, type Problem } from "./layer.ts";
import { deepFreeze, mergeLayers, type Provenance, sourceOf } from "./merge.ts";
import { SettingsError } from "./problems.ts";
import { describeExpected, shapeOf } from "./schema.ts";
import { isSecretKey, REDACTED, secretKeys } from "./secrets.ts";

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** Resolved settings: typed from the schema, deep-frozen, so reading an unknown key is a type error. */
export type Settings<S extends z.ZodType> = DeepReadonly<z.output<S>>;

export type Resolution<S extends z.ZodType> =
  | {
      readonly ok: true;
      readonly settings: Settings<S>;
      /** Every key path set by a layer, with the name of the layer its value came from. */
      readonly sources: ReadonlyMap<string, string>;
      /** The layers that were merged, in order. */
      readonly layers: readonly Layer[];
      /** Dotted paths of the keys the schema marks secret. */
      readonly secrets: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * A check across keys, run on settings that passed the schema (Django's system checks): each
 * finding names a key; the report adds the layer its value came from.
 */
export type SettingsCheck<T> = (
  settings: T,
  context: { readonly environment: Environment | undefined },
) => readonly { readonly key: string; readonly message: string }[];

export interface SettingsStackDefinition<S extends z.ZodObject> {
  /** The app's name, used in messages: `sync-api`. */
  readonly app: string;
  /** Prefix of the app's environment variables: `SYNC_API_`. */
  readonly envPrefix: string;
  /** Unprefixed variables that also set a key, e.g. `{ PORT: ["port"] }` for the proxy. */
  readonly envAliases?: Readonly<Record<string, readonly string[]>>;
  /** Validates the merged layers once; its output type is the settings' type. */
  readonly schema: S;
  /** The ordered layer list, first to last; later layers win. */
  readonly layers: readonly LayerSource[];
  /** Checks across keys, run once the schema has passed. */
  readonly checks?: readonly SettingsCheck<Settings<S>>[];
}

export interface SettingsStack<S extends z.ZodObject> extends SettingsStackDefinition<S> {
  /** Dotted paths of the keys the schema marks secret. */
  readonly secrets: readonly string[];
  /** Loads every layer and validates the result, reporting problems instead of throwing. */
  resolve(env?: Env): Resolution<S>;
  /** The resolved settings; throws a SettingsError that lists every problem. */
  load(env?: Env): Settings<S>;
  /** The variable to name in a message about a key: its alias if it has one (`PORT`), else `<PREFIX>KEY`. */
  variable(path: readonly string[]): string;
}

/**
 * An app's settings stack: its ordered layers and the schema that validates their merge.
 * The analogue of a Django settings module built with django-split-settings' `include(...)`.
 */
export function defineSettings<S extends z.ZodObject>(definition: SettingsStackDefinition<S>): SettingsStack<S> {
  const stack: SettingsStack<S> = {
    ...definition,
    secrets: secretKeys(definition.schema),
    resolve: (env = process.env) => resolveSettings(definition, stack.secrets, env),
    variable(path) {
      const alias = Object.entries(definition.envAliases ?? {}).find(
        ([, aliased]) => aliased.join(".") === path.join("."),
      );
      return alias?.[0] ?? envVarName(definition.envPrefix, path);
    },
    load(env = process.env) {
      const resolution = stack.resolve(env);
      if (!resolution.ok) throw new SettingsError(definition.app, resolution.problems);
      return resolution.settings;
    },
  };
  return stack;
}

function resolveSettings<S extends z.ZodObject>(
  definition: SettingsStackDefinition<S>,
  secrets: readonly string[],
  env: Env,
): Resolution<S> {
  const context: LoadContext = {
    app: definition.app,
    env,
    envPrefix: definition.envPrefix,
    envAliases: definition.envAliases ?? {},
    schema: definition.schema,
  };
  const layers: Layer[] = [];
  const problems: Problem[] = [];
  for (const source of definition.layers) {
    const outcome = loadLayerSource(source, context);
    layers.push(...outcome.layers);
    // Several layers may find the same fault (each environment layer reads NODE_ENV): report it once.
    for (const problem of outcome.problems) {
      if (!problems.some((p) => p.key === problem.key && p.message === problem.message)) problems.push(problem);
    }
  }
  problems.push(...deploymentWideProblems(layers, definition.schema));
  const { values, provenance } = mergeLayers(layers);
  const parsed = definition.schema.safeParse(values);
  if (!parsed.success) {
    const reported = new Set(problems.map((p) => p.key));
    // With NODE_ENV unknown, no environment layer was loaded: keys that only it sets are missing
    // as a consequence, not a fault of their own, so the report names NODE_ENV alone for them.
    const environmentMissing = reported.has("NODE_ENV");
    for (const problem of issuesToProblems(parsed.error.issues, values, provenance, definition.schema, secrets)) {
      if (reported.has(problem.key)) continue;
      if (environmentMissing && problem.source === NOT_SET) continue;
      problems.push(problem);
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const settings = deepFreeze(parsed.data) as Settings<S>;
  const environment = environmentOf(env);
  for (const check of definition.checks ?? []) {
    for (const { key, message } of check(settings, {
      environment: typeof environment === "string" ? environment : undefined,
    })) {
      problems.push({ key, source: sourceOf(provenance, key) ?? NOT_SET, message });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, settings, sources: provenance, layers, secrets };
}

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  values: Record<string, unknown>,
  provenance: Provenance,
  schema: z.ZodType,
  secrets: readonly string[],
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const known = Object.keys(shapeOf(schemaAt(schema, path) ?? schema) ?? {});
      for (const key of issue.keys) {
        const keyPath = [...path, key].join(".");
        problems.push({
          key: keyPath,
          source: sourceOf(provenance, keyPath) ?? "unknown",
          message: `unknown key; the keys here are ${known.join(", ")}`,
        });
      }
      continue;
    }
    const key = path.join(".");
    const value = valueAt(values, path);
    const sub = schemaAt(schema, path);
    const expected = sub ? describeExpected(sub) : undefined;
    const message =
      value === undefined
        ? `required, but no layer sets it${expected ? `; expected ${expected}` : ""}`
        : `${expected ? `expected ${expected}, ` : ""}got ${isSecretKey(secrets, key) ? REDACTED : show(value)} (${issue.message})`;
    problems.push({ key: key || "(root)", source: sourceOf(provenance, key) ?? NOT_SET, message });
  }
  return problems;
}

/** The source of a problem about a key that no layer sets. */
const NOT_SET = "no layer";

function valueAt(values: unknown, path: readonly string[]): unknown {
  let current = values;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    current = current && shapeOf(current)?.[key];
  }
  return current;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The settings, or, when they are invalid, the report on stderr and exit code 1: an app calls this
 * first thing, so it never listens with bad settings.
 */
export function loadOrExit<S extends z.ZodObject>(stack: SettingsStack<S>, env: Env = process.env): Settings<S> {
  const resolution = stack.resolve(env);
  if (resolution.ok) return resolution.settings;
  process.stderr.write(`${new SettingsError(stack.app, resolution.problems).message}\n`);
  process.exit(1);
}
