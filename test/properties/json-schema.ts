/**
 * fast-check arbitraries from JSON Schema, for the schemas zod 4 writes (`z.toJSONSchema`): the
 * contracts' request parts as their published description says they may be. No library fits
 * (zod-fast-check knows zod 3 only; the JSON Schema ones are years old), and the subset the
 * contracts use is small: types, bounds, enums, objects, arrays, unions, `$ref` to `$defs`.
 */

import { publishTrimmedLength } from "@repo/contracts";
import fc from "fast-check";
import { z } from "zod";

export type JsonSchema = {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minProperties?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly not?: JsonSchema;
  readonly format?: string;
  readonly pattern?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly default?: unknown;
};

/** A zod schema's published description of what it takes (its input side), as OpenAPI shows it. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  // As the OpenAPI document publishes it: a trimming string's minimum as a pattern too.
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any", override: publishTrimmedLength }) as JsonSchema;
}

/**
 * Text a client may send: mostly printable, with the characters that break naive code mixed in
 * (NUL and controls, combining marks, RTL and zero-width marks, emoji, astral planes,
 * whitespace that `trim` removes). No lone surrogate: JSON text with one is not interoperable
 * (RFC 7493) and both apps refuse it as a body (a hostile case checks that).
 */
const oddCharacters = fc.constantFrom(
  "\u0000",
  "\u0007",
  "\t",
  "\n",
  "\r",
  " ",
  "\u00a0",
  "\u00e9",
  "e\u0301",
  "\u200b",
  "\u200f",
  "\u202e",
  "\u2028",
  "\ufeff",
  "\ufffd",
  "\uffff",
  "\ud83d\ude00",
  "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67",
  "\u{10ffff}",
  "\u0661",
  "\\",
  '"',
  "'",
  "<",
  "%",
  "/",
  "..",
  "?",
  "#",
  "&",
);
const character = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-composite", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: oddCharacters },
);

/** Strings in the length bounds (in UTF-16 units, as JSON Schema's lengths are counted by zod), boundaries favoured. */
export function text(minLength = 0, maxLength = 10_000): fc.Arbitrary<string> {
  const fit = (s: string) => s.length >= minLength && s.length <= maxLength;
  const typical = fc
    .array(character, { minLength, maxLength: Math.min(maxLength, Math.max(minLength, 40)) })
    .map((parts) => parts.join(""))
    .map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s))
    .filter(fit);
  const boundaries = fc
    .constantFrom(minLength, maxLength, Math.max(minLength, maxLength - 1))
    .chain((length) => fc.constantFrom("x".repeat(length), "\u00e9".repeat(length), "\ud83d\ude00".repeat(length / 2)))
    .filter(fit);
  return fc.oneof({ weight: 8, arbitrary: typical }, { weight: 1, arbitrary: boundaries });
}

function numberIn(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lowest =
    schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 1e-9) : schema.minimum;
  const highest =
    schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 1e-9) : schema.maximum;
  if (integer) {
    const min = Math.max(lowest ?? Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
    const max = Math.min(highest ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const ends = fc.constantFrom(min, max);
    // Small values are where the interesting cases are (and where real ids live).
    const small = fc.integer({ min, max: Math.min(max, min + 100) });
    return fc.oneof(
      { weight: 4, arbitrary: small },
      { weight: 3, arbitrary: fc.integer({ min, max }) },
      { weight: 1, arbitrary: ends },
    );
  }
  return fc.double({
    noNaN: true,
    noDefaultInfinity: true,
    ...(lowest !== undefined ? { min: lowest } : {}),
    ...(highest !== undefined ? { max: highest } : {}),
  });
}

/** Any JSON value, a little nested: for `unrepresentable: "any"` and open `additionalProperties`. */
const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });

/** Values the schema describes. `root` resolves `$ref`s (zod puts named schemas in `$defs`). */
export function arbitraryFor(schema: JsonSchema, root: JsonSchema = schema): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (!target) throw new Error(`cannot resolve ${schema.$ref}`);
    return arbitraryFor(target, root);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((member) => arbitraryFor(member, root)));
  if (schema.allOf) {
    if (schema.allOf.length === 1) return arbitraryFor(schema.allOf[0] as JsonSchema, root);
    throw new Error("allOf with several members is not supported");
  }
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFor({ ...schema, type }, root)));
  switch (types[0]) {
    case undefined:
      return anyJson;
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return numberIn(schema, true);
    case "number":
      return numberIn(schema, false);
    case "string":
      if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      if (schema.format === "email") return fc.emailAddress();
      if (schema.pattern) {
        const [min, max] = [schema.minLength ?? 0, schema.maxLength ?? 10_000];
        // JSON Schema's patterns are Unicode-aware: `\S` is a code point, as zod counts lengths.
        const pattern = new RegExp(schema.pattern, "u");
        return fc
          .oneof(
            fc.stringMatching(pattern),
            text(min, max).filter((s) => pattern.test(s)),
          )
          .filter((s) => s.length >= min && s.length <= max);
      }
      return text(schema.minLength ?? 0, schema.maxLength ?? 10_000);
    case "array":
      return fc.array(schema.items ? arbitraryFor(schema.items, root) : anyJson, {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case "object": {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const record = fc.record(
        Object.fromEntries(properties.map(([name, property]) => [name, arbitraryFor(property, root)])),
        { requiredKeys: properties.map(([name]) => name).filter((name) => required.has(name)) },
      );
      const minProperties = schema.minProperties ?? 0;
      return minProperties > 0 ? record.filter((value) => Object.keys(value).length >= minProperties) : record;
    }
    default:
      throw new Error(`JSON Schema type ${String(types[0])} is not supported`);
  }
}

/** A JSON value of another type than `value`: the "wrong type" mutation. */
export function otherType(value: unknown): fc.Arbitrary<unknown> {
  const kinds: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 5 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  ];
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  return fc.oneof(...kinds).filter((candidate) => kind(candidate) !== kind(value));
}
