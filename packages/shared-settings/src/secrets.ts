import { z } from "zod";
import { keyPaths } from "./schema.ts";

/** Schemas whose values are secrets: never printed, never logged. */
const secretSchemas = z.registry<{ secret: true }>();

/** Marks a settings key as secret: `apiKey: secret(z.string().min(32))`. */
export function secret<T extends z.ZodType>(schema: T): T {
  secretSchemas.add(schema, { secret: true });
  return schema;
}

/** Is this schema, or one it wraps (`.default()`, `.optional()`), marked secret? */
function isSecret(schema: z.core.$ZodType): boolean {
  for (let current: z.core.$ZodType | undefined = schema; current; ) {
    if (secretSchemas.has(current)) return true;
    const def = current._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    current = def.innerType ?? def.in;
  }
  return false;
}

/** Dotted paths of every secret key in a settings schema. */
export function secretKeys(schema: z.ZodType): string[] {
  return [...keyPaths(schema)].filter(({ schema: s }) => isSecret(s)).map(({ path }) => path.join("."));
}

export const REDACTED = "[redacted]";

/** Is `key` a secret, or inside one? */
export function isSecretKey(secrets: readonly string[], key: string): boolean {
  return secrets.some((s) => key === s || key.startsWith(`${s}.`));
}

/** A copy of `values` with every secret key's value replaced by REDACTED. */
export function redact<T>(values: T, secrets: readonly string[], prefix = ""): T {
  if (typeof values !== "object" || values === null || Array.isArray(values)) return values;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    copy[key] = isSecretKey(secrets, path) ? REDACTED : redact(value, secrets, path);
  }
  return copy as T;
}

/**
 * The secret values in resolved settings, to censor wherever they appear: a secret key's string,
 * or the strings inside it when it holds an object or a list (a map of tokens by name). Never the
 * JSON of a whole object: an empty one, `{}`, would censor every `{}` of every log line.
 */
export function secretValues(values: unknown, secrets: readonly string[]): string[] {
  const found: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") {
      if (value !== "") found.push(value);
    } else if (typeof value === "number" || typeof value === "bigint") found.push(String(value));
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
  };
  for (const key of secrets) {
    let current = values;
    for (const part of key.split(".")) current = (current as Record<string, unknown> | undefined)?.[part];
    collect(current);
  }
  return found;
}
