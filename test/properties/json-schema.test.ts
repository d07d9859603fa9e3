/**
 * The property suite's generator takes a schema as the OpenAPI document publishes it: whatever
 * it generates for a valid request must be valid. JSON Schema has no trim, so a trimming string's
 * minimum (`z.string().trim().min(1)`, the common way to refuse a blank name) is published as a
 * pattern too (publishTrimmedLength); without it, " " was generated as valid and refused.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { arbitraryFor, jsonSchemaOf } from "./json-schema.ts";

const validFromItsSchema = (schema: z.ZodType) =>
  fc.assert(
    fc.property(arbitraryFor(jsonSchemaOf(schema)), (value) => schema.safeParse(value).success),
    { numRuns: 300 },
  );

describe("strings that trim before their checks", () => {
  it.each([
    ["trim().min(1)", z.string().trim().min(1)],
    ["trim().min(1).max(200)", z.string().trim().min(1).max(200)],
    ["trim().min(3).max(20)", z.string().trim().min(3).max(20)],
    ["in an object", z.strictObject({ name: z.string().trim().min(2).max(50), remark: z.string().max(5) })],
  ])("%s: every value generated from the published schema is valid", (_name, schema) => {
    validFromItsSchema(schema);
  });

  it("publish the minimum they mean as a pattern, and only they do", () => {
    expect(jsonSchemaOf(z.string().trim().min(1))).toMatchObject({ minLength: 1, pattern: "\\S" });
    expect(jsonSchemaOf(z.string().trim().min(3))).toMatchObject({ pattern: "^\\s*\\S[\\s\\S]{1,}\\S\\s*$" });
    expect(jsonSchemaOf(z.string().min(1))).not.toHaveProperty("pattern");
    expect(jsonSchemaOf(z.string().trim())).not.toHaveProperty("pattern");
    expect(jsonSchemaOf(z.string().toLowerCase().min(1))).not.toHaveProperty("pattern");
    // A pattern of the schema's own is kept as it is.
    expect(
      jsonSchemaOf(
        z
          .string()
          .trim()
          .min(1)
          .regex(/^[a-z]+$/),
      ),
    ).toMatchObject({ pattern: "^[a-z]+$" });
  });
});
