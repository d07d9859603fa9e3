import type { z } from "zod";

/** What zod and zod-openapi hand a schema override: the zod schema and the JSON Schema written for it. */
export interface SchemaOverrideContext {
  readonly zodSchema: z.core.$ZodType;
  readonly jsonSchema: Record<string, unknown>;
}

/** Does this string schema trim before its checks (`z.string().trim()`)? Its overwrite step says so. */
function trims(zodSchema: z.core.$ZodType): boolean {
  const def = zodSchema._zod.def as { type?: string; checks?: readonly z.core.$ZodCheck[] };
  if (def.type !== "string") return false;
  return (def.checks ?? []).some((check) => {
    const { check: kind, tx } = check._zod.def as { check?: string; tx?: (value: string) => unknown };
    return kind === "overwrite" && typeof tx === "function" && tx(" \t x \n") === "x";
  });
}

/**
 * JSON Schema has no "trim": `z.string().trim().min(1)` alone publishes `minLength: 1`, which
 * " " meets and the API refuses. For a trimming string with a minimum length, and no pattern of
 * its own, the published schema gets the pattern the trimmed minimum means (`\S` for 1: not only
 * whitespace), so the OpenAPI document, the typed clients generated from it and the property
 * suite all take exactly what the API takes. Given to `createDocument` and `z.toJSONSchema` as
 * their `override`.
 */
export function publishTrimmedLength({ zodSchema, jsonSchema }: SchemaOverrideContext): void {
  const minLength = jsonSchema.minLength;
  if (typeof minLength !== "number" || minLength < 1 || jsonSchema.pattern !== undefined || !trims(zodSchema)) return;
  jsonSchema.pattern = minLength === 1 ? "\\S" : `^\\s*\\S[\\s\\S]{${minLength - 2},}\\S\\s*$`;
}
