/** Generated inputs: whatever the environment holds, resolving settings reports, never throws. */
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineSettings, envVars, layer, type Settings, secret } from "../src/index.ts";

const schema = z.strictObject({
  port: z.int().min(1).max(65535),
  debug: z.boolean(),
  ratio: z.number(),
  tags: z.array(z.string()),
  limits: z.strictObject({ bodyBytes: z.int().positive() }),
  extra: z.record(z.string(), z.number()),
  token: secret(z.string().min(8)),
});

const stack = defineSettings({
  app: "prop-api",
  envPrefix: "PROP_API_",
  schema,
  layers: [
    layer("prop-api", {
      port: 1,
      debug: false,
      ratio: 0,
      tags: [],
      limits: { bodyBytes: 1 },
      extra: {},
      token: "t".repeat(8),
    }),
    envVars(),
  ],
});

const names = [
  "PORT",
  "DEBUG",
  "RATIO",
  "TAGS",
  "LIMITS",
  "LIMITS__BODY_BYTES",
  "EXTRA",
  "TOKEN",
  "TOKEN_FILE",
  "NOPE",
];
const environments = fc.dictionary(
  fc.constantFrom(...names.map((n) => `PROP_API_${n}`), "NODE_ENV"),
  fc.oneof(fc.string(), fc.integer().map(String), fc.json(), fc.constantFrom("true", "no", "[1,2]", "{}", "")),
);

describe("resolving arbitrary environments", () => {
  it("either yields settings that satisfy the schema or names every bad key; it never throws", () => {
    fc.assert(
      fc.property(environments, (env) => {
        const result = stack.resolve(env);
        if (result.ok) {
          expect(schema.safeParse(result.settings).success).toBe(true);
          return;
        }
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(problem.key).not.toBe("");
          expect(problem.source).not.toBe("");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never puts the secret's value in a problem", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 3, maxLength: 7 }).filter((s) => s.trim() === s && s !== ""),
        (token) => {
          const result = stack.resolve({ PROP_API_TOKEN: token, PROP_API_PORT: "0" });
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.problems.map((p) => p.message).join("\n")).not.toContain(JSON.stringify(token));
        },
      ),
    );
  });
});

describe("the settings type", () => {
  it("is the schema's output, read-only, and knows no other key", () => {
    const settings = stack.load({});
    expectTypeOf(settings.limits.bodyBytes).toEqualTypeOf<number>();
    expectTypeOf(settings).toEqualTypeOf<Settings<typeof schema>>();
    // @ts-expect-error reading an unknown key is a type error
    expect(settings.nope).toBeUndefined();
    // @ts-expect-error settings are read-only
    expect(() => (settings.port = 2)).toThrow(TypeError);
  });
});
