import { readFileSync } from "node:fs";
import type { z } from "zod";
import { deploymentWideKeys } from "./deployment-wide.ts";
import type { Layer, LayerOutcome, LayerSource, LoadContext, Problem } from "./layer.ts";
import { describeExpected, keyPaths, kindOf, unwrap } from "./schema.ts";

/**
 * Separator between the parts of a nested key in a variable's name:
 * `log.level` is `SYNC_API_LOG__LEVEL`, `keepAliveTimeoutMs` is `SYNC_API_KEEP_ALIVE_TIMEOUT_MS`.
 */
export const NESTED_SEPARATOR = "__";

/** `keepAliveTimeoutMs` → `KEEP_ALIVE_TIMEOUT_MS`. */
export function screamingSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
}

/** The environment variable that sets a key path for an app. */
export function envVarName(prefix: string, path: readonly string[]): string {
  return prefix + path.map(screamingSnake).join(NESTED_SEPARATOR);
}

interface EnvKey {
  readonly path: readonly string[];
  readonly schema: z.ZodType;
}

/** Every variable an app's schema accepts, by name. */
export function envKeys(prefix: string, schema: z.ZodType): Map<string, EnvKey> {
  const keys = new Map<string, EnvKey>();
  for (const entry of keyPaths(schema)) keys.set(envVarName(prefix, entry.path), entry);
  return keys;
}

/**
 * Every variable a stack reads: its prefixed names, then its unprefixed aliases (`PORT`) and the
 * variables of its deployment-wide keys (`ASYNC_PREFIX`).
 */
function variableKeys(context: LoadContext): Map<string, EnvKey> {
  const keys = envKeys(context.envPrefix, context.schema);
  const aliases = [
    ...Object.entries(context.envAliases),
    ...deploymentWideKeys(context.schema).map(({ variable, path }) => [variable, path] as const),
  ];
  for (const [name, path] of aliases) {
    const key = [...keys.values()].find((k) => k.path.join(".") === path.join("."));
    if (!key) throw new Error(`${context.app}: env alias ${name} names no key (${path.join(".")})`);
    keys.set(name, key);
  }
  return keys;
}

/** Suffix of a variable that names a file holding the value (Docker and Kubernetes secrets). */
export const FILE_SUFFIX = "_FILE";

/**
 * Turns variables into one layer each, so that every value's source names its variable: from the
 * process environment (`env SYNC_API_PORT`) or a .env file (`.env.local SYNC_API_PORT`).
 * - the empty string counts as unset;
 * - `<NAME>_FILE` reads the value of `<NAME>` from that file (one trailing newline dropped);
 * - a prefixed variable that names no setting is an error, so a typo never goes unseen.
 */
export function variableLayers(
  variables: Readonly<Record<string, string | undefined>>,
  context: LoadContext,
  sourceOf: (name: string) => string,
): LayerOutcome {
  const keys = variableKeys(context);
  const layers: Layer[] = [];
  const problems: Problem[] = [];
  const known: { name: string; key: EnvKey; raw: string }[] = [];
  for (const name of Object.keys(variables).sort()) {
    const raw = variables[name];
    if (raw === undefined || raw === "") continue;
    const source = sourceOf(name);
    const direct = keys.get(name);
    if (direct) {
      known.push({ name, key: direct, raw });
      continue;
    }
    const viaFile = name.endsWith(FILE_SUFFIX) ? keys.get(name.slice(0, -FILE_SUFFIX.length)) : undefined;
    if (viaFile) {
      const base = name.slice(0, -FILE_SUFFIX.length);
      if (variables[base] !== undefined && variables[base] !== "") {
        problems.push({ key: viaFile.path.join("."), source, message: `both ${base} and ${name} are set; set one` });
        continue;
      }
      try {
        known.push({ name, key: viaFile, raw: readFileSync(raw, "utf8").replace(/\r?\n$/, "") });
      } catch (error) {
        problems.push({
          key: viaFile.path.join("."),
          source,
          message: `cannot read the file it names, ${raw} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        });
      }
      continue;
    }
    if (!name.startsWith(context.envPrefix)) continue;
    problems.push({
      key: name,
      source,
      message: `no setting is named by this variable (nested keys use "${NESTED_SEPARATOR}", e.g. ${envVarName(context.envPrefix, ["log", "level"])})`,
    });
  }
  // Shallow keys first, so a nested variable (`LOG__LEVEL`) wins over a whole object given as JSON (`LOG`).
  known.sort((a, b) => a.key.path.length - b.key.path.length);
  for (const { name, key, raw } of known) {
    const source = sourceOf(name);
    const coerced = coerce(raw, key.schema);
    if ("error" in coerced) {
      const expected = describeExpected(key.schema);
      problems.push({
        key: key.path.join("."),
        source,
        message: `${coerced.error}${expected ? `; expected ${expected}` : ""}`,
      });
    }
    layers.push({ name: source, values: nest(key.path, "value" in coerced ? coerced.value : raw) });
  }
  return { layers, problems };
}

/** The last layers of every stack: the process's variables with the app's prefix (and aliases). */
export function envVars(): LayerSource {
  return (context) => variableLayers(context.env, context, (name) => `env ${name}`);
}

function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/**
 * Reads a variable's string as the type its key expects. A string that cannot be read is passed on
 * as it is, so that validation reports it against the schema; malformed JSON is reported here.
 */
export function coerce(raw: string, schema: z.ZodType): { value: unknown } | { error: string } {
  const text = raw.trim();
  switch (kindOf(schema)) {
    case "number":
    case "int":
    case "bigint":
      return { value: NUMBER.test(text) ? Number(text) : raw };
    case "boolean": {
      const lower = text.toLowerCase();
      return { value: TRUE.has(lower) ? true : FALSE.has(lower) ? false : raw };
    }
    case "array": {
      if (text.startsWith("[")) return parseJson(text);
      const element = (unwrap(schema) as z.ZodArray<z.ZodType>).element;
      const items = text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")
        .map((item) => coerce(item, element));
      const bad = items.find((item) => "error" in item);
      if (bad) return bad;
      return { value: items.map((item) => ("value" in item ? item.value : undefined)) };
    }
    case "object":
    case "record":
    case "map":
      return parseJson(text);
    case "union":
    case "intersection":
    case "unknown":
    case "any":
      return text.startsWith("{") || text.startsWith("[") ? parseJson(text) : { value: raw };
    default:
      return { value: raw };
  }
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch {
    // The parser's message quotes the input, which may be a secret: say only what is wrong.
    return { error: "malformed JSON" };
  }
}
