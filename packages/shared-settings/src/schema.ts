import { z } from "zod";

/** The schema under wrappers that do not change what a value looks like (optional, default, ...). */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.core.$ZodType = schema;
  for (;;) {
    const def = current._zod.def;
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "readonly":
      case "catch":
      case "nonoptional":
        current = (def as z.core.$ZodOptionalDef).innerType;
        continue;
      case "pipe":
        current = (def as z.core.$ZodPipeDef).in;
        continue;
      default:
        return current as z.ZodType;
    }
  }
}

/** The kind of value a key holds, which decides how a string from the environment is read. */
export function kindOf(schema: z.ZodType): string {
  return unwrap(schema)._zod.def.type;
}

/** Child schemas of an object schema, or undefined for anything else. */
export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** Every key path in a settings schema, objects included (`["log"]`, `["log", "level"]`). */
export function* keyPaths(
  schema: z.ZodType,
  prefix: readonly string[] = [],
): Generator<{ path: readonly string[]; schema: z.ZodType }> {
  const shape = shapeOf(schema);
  if (!shape) return;
  for (const [key, child] of Object.entries(shape)) {
    const path = [...prefix, key];
    yield { path, schema: child };
    yield* keyPaths(child, path);
  }
}

/** What a key expects, in words, from its JSON Schema: `integer, >= 1, <= 65535`. */
export function describeExpected(schema: z.ZodType): string | undefined {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(unwrap(schema), { unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  if (Array.isArray(json.enum)) parts.push(`one of ${json.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  else if (typeof json.type === "string") parts.push(json.type === "array" ? "a list" : json.type);
  const bounds: [string, string][] = [
    ["minimum", ">="],
    ["exclusiveMinimum", ">"],
    ["maximum", "<="],
    ["exclusiveMaximum", "<"],
    ["minLength", "length >="],
    ["maxLength", "length <="],
    ["minItems", "items >="],
    ["maxItems", "items <="],
  ];
  for (const [name, words] of bounds) {
    if (typeof json[name] === "number") parts.push(`${words} ${json[name]}`);
  }
  if (typeof json.pattern === "string") parts.push(`matching /${json.pattern}/`);
  if (typeof json.format === "string") parts.push(`format ${json.format}`);
  return parts.length > 0 ? parts.join(", ") : undefined;
}
