import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  byEnvironment,
  defineSettings,
  envVarName,
  envVars,
  formatProblems,
  layer,
  SettingsError,
  sharedLayers,
  sharedSchema,
  testRoutesOnlyUnderTest,
} from "../src/index.ts";

const schema = sharedSchema.extend({
  workers: z.int().min(1),
  debug: z.boolean(),
  origins: z.array(z.string()),
  ratios: z.array(z.number()),
  limits: z.strictObject({ bodyBytes: z.int().positive(), headers: z.int().positive() }),
  extra: z.record(z.string(), z.number()),
});

const stack = defineSettings({
  app: "demo-api",
  envPrefix: "DEMO_API_",
  schema,
  layers: [
    ...sharedLayers(),
    layer("demo-api", {
      port: 3999,
      secretKey: "a-demo-secret-key-of-at-least-32-characters",
      workers: 2,
      debug: false,
      origins: ["https://a.example", "https://b.example"],
      ratios: [],
      limits: { bodyBytes: 1000, headers: 50 },
      extra: {},
    }),
    byEnvironment("demo-api", {
      development: {},
      test: { limits: { bodyBytes: 10 } },
      production: { origins: ["https://prod.example"] },
    }),
    envVars(),
  ],
});

function resolved(env: Record<string, string>) {
  const result = stack.resolve(env);
  if (!result.ok) throw new SettingsError("demo-api", result.problems);
  return result;
}

function problems(env: Record<string, string>) {
  const result = stack.resolve(env);
  if (result.ok) throw new Error("expected invalid settings");
  return result.problems;
}

describe("merging layers", () => {
  it("merges objects key by key and lets later layers win", () => {
    const { settings, sources } = resolved({ NODE_ENV: "test" });
    expect(settings.limits).toEqual({ bodyBytes: 10, headers: 50 });
    expect(sources.get("limits.bodyBytes")).toBe("demo-api/test");
    expect(sources.get("limits.headers")).toBe("demo-api");
    expect(sources.get("host")).toBe("shared/server");
    expect(sources.get("log.level")).toBe("shared/test");
  });

  it("replaces arrays whole instead of concatenating them", () => {
    const { settings, sources } = resolved({ NODE_ENV: "production", DEMO_API_AUTH__JWT_SECRET: "j".repeat(32) });
    expect(settings.origins).toEqual(["https://prod.example"]);
    expect(sources.get("origins")).toBe("demo-api/production");
  });

  it("treats an unset NODE_ENV as development", () => {
    expect(resolved({}).sources.get("log.level")).toBe("shared/development");
  });

  it("returns deep-frozen settings", () => {
    const { settings } = resolved({});
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.limits)).toBe(true);
    expect(Object.isFrozen(settings.origins)).toBe(true);
    expect(() => {
      (settings.limits as { bodyBytes: number }).bodyBytes = 1;
    }).toThrow(TypeError);
  });
});

describe("environment variables", () => {
  it("names nested keys with the prefix and a double underscore", () => {
    expect(envVarName("DEMO_API_", ["limits", "bodyBytes"])).toBe("DEMO_API_LIMITS__BODY_BYTES");
    expect(envVarName("SYNC_API_", ["port"])).toBe("SYNC_API_PORT");
  });

  it("coerces numbers, booleans, lists and JSON by the schema's type", () => {
    const { settings, sources } = resolved({
      DEMO_API_PORT: "4000",
      DEMO_API_DEBUG: "yes",
      DEMO_API_ORIGINS: "https://x.example, https://y.example",
      DEMO_API_RATIOS: "[0.5, 1.5]",
      DEMO_API_LIMITS__HEADERS: "80",
      DEMO_API_EXTRA: '{"a": 1}',
    });
    expect(settings.port).toBe(4000);
    expect(settings.debug).toBe(true);
    expect(settings.origins).toEqual(["https://x.example", "https://y.example"]);
    expect(settings.ratios).toEqual([0.5, 1.5]);
    expect(settings.limits).toEqual({ bodyBytes: 1000, headers: 80 });
    expect(settings.extra).toEqual({ a: 1 });
    expect(sources.get("port")).toBe("env DEMO_API_PORT");
    expect(sources.get("limits.headers")).toBe("env DEMO_API_LIMITS__HEADERS");
  });

  it("lets a nested variable win over the whole object given as JSON", () => {
    const { settings } = resolved({
      DEMO_API_LIMITS: '{"bodyBytes": 5, "headers": 6}',
      DEMO_API_LIMITS__HEADERS: "7",
    });
    expect(settings.limits).toEqual({ bodyBytes: 5, headers: 7 });
  });

  it("treats an empty string as unset", () => {
    expect(resolved({ DEMO_API_PORT: "" }).settings.port).toBe(3999);
  });

  it("ignores variables of other prefixes", () => {
    expect(resolved({ OTHER_PORT: "abc", DEMO_APIX: "1" }).settings.port).toBe(3999);
  });

  it("reads an unprefixed alias when asked to", () => {
    const proxy = defineSettings({
      app: "proxy",
      envPrefix: "PROXY_",
      envAliases: { PORT: ["port"] },
      schema: z.strictObject({ port: z.int() }),
      layers: [layer("proxy", { port: 8080 }), envVars()],
    });
    expect(proxy.load({ PORT: "9090" }).port).toBe(9090);
  });
});

describe("invalid settings", () => {
  it("names the key, the variable it came from and what was expected", () => {
    const [problem, ...rest] = problems({ DEMO_API_PORT: "abc" });
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ key: "port", source: "env DEMO_API_PORT" });
    expect(problem?.message).toContain("integer");
    expect(problem?.message).toContain("65535");
    expect(problem?.message).toContain('"abc"');
  });

  it("reports every problem at once: bad port, unknown log level, unknown NODE_ENV", () => {
    const found = problems({ DEMO_API_PORT: "70000", DEMO_API_LOG__LEVEL: "loud", NODE_ENV: "staging" });
    expect(found.map((p) => p.key).sort()).toEqual(["NODE_ENV", "log.level", "port"]);
    const error = new SettingsError("demo-api", found);
    expect(error.message).toContain("Invalid settings for demo-api (3 problems)");
    expect(error.message).toContain('unknown environment "staging"');
    expect(error.message).toContain('one of "fatal"');
  });

  it("reports malformed JSON in a variable once, as JSON", () => {
    const found = problems({ DEMO_API_EXTRA: "{not json" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ key: "extra", source: "env DEMO_API_EXTRA" });
    expect(found[0]?.message).toContain("malformed JSON");
  });

  it("refuses a prefixed variable that names no setting", () => {
    const found = problems({ DEMO_API_WORKRES: "4" });
    expect(found).toEqual([expect.objectContaining({ key: "DEMO_API_WORKRES", source: "env DEMO_API_WORKRES" })]);
  });

  it("refuses unknown keys in a layer, naming the layer", () => {
    const typo = defineSettings({
      app: "typo-api",
      envPrefix: "TYPO_API_",
      schema: sharedSchema,
      layers: [...sharedLayers(), layer("typo-api", { port: 1, secretKey: "k".repeat(32), log: { levle: "info" } })],
    });
    const result = typo.resolve({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([expect.objectContaining({ key: "log.levle", source: "typo-api" })]);
    expect(result.problems[0]?.message).toContain("unknown key");
  });

  it("says when a required key is set by no layer", () => {
    const missing = defineSettings({
      app: "missing-api",
      envPrefix: "MISSING_API_",
      schema: sharedSchema,
      layers: [...sharedLayers()],
    });
    expect(() => missing.load({})).toThrow(/port \(from no layer\): required, but no layer sets it/);
  });

  it("refuses booleans and lists it cannot read", () => {
    const found = problems({ DEMO_API_DEBUG: "maybe", DEMO_API_RATIOS: "1, two" });
    expect(found.map((p) => [p.key, p.source])).toEqual([
      ["debug", "env DEMO_API_DEBUG"],
      ["ratios.1", "env DEMO_API_RATIOS"],
    ]);
  });
});

describe("checks across keys", () => {
  const checked = defineSettings({
    app: "checked-api",
    envPrefix: "CHECKED_API_",
    schema: z.strictObject({ routeTable: z.enum(["main", "test"]), min: z.int(), max: z.int() }),
    layers: [layer("checked-api", { routeTable: "main", min: 1, max: 2 }), envVars()],
    checks: [
      testRoutesOnlyUnderTest,
      (settings) => (settings.min > settings.max ? [{ key: "min", message: "must not exceed max" }] : []),
    ],
  });

  it("run on valid settings and report with the value's source", () => {
    const result = checked.resolve({ NODE_ENV: "production", CHECKED_API_ROUTE_TABLE: "test", CHECKED_API_MIN: "5" });
    expect(!result.ok && result.problems).toEqual([
      {
        key: "routeTable",
        source: "env CHECKED_API_ROUTE_TABLE",
        message: 'the "test" route table holds test-only routes; it is served under NODE_ENV=test only, not production',
      },
      { key: "min", source: "env CHECKED_API_MIN", message: "must not exceed max" },
    ]);
  });

  it("let the test route table through under NODE_ENV=test", () => {
    expect(checked.load({ NODE_ENV: "test", CHECKED_API_ROUTE_TABLE: "test" }).routeTable).toBe("test");
  });
});

describe("the shared http component", () => {
  it.each([
    ["development", { bodyLimitBytes: 1_048_576, responseValidation: true, exposeErrors: true }],
    ["test", { bodyLimitBytes: 1_048_576, responseValidation: true, exposeErrors: false }],
    ["production", { bodyLimitBytes: 1_048_576, responseValidation: false, exposeErrors: false }],
  ])("under NODE_ENV=%s checks responses and exposes errors as it should", (environment, http) => {
    const env = {
      NODE_ENV: environment,
      DEMO_API_SECRET_KEY: "k".repeat(32),
      DEMO_API_AUTH__JWT_SECRET: "j".repeat(32),
    };
    expect(stack.load(env).http).toMatchObject(http);
  });
});

describe("the shared auth component", () => {
  it("has a development and test key, and none in production: the report names the key", () => {
    expect(stack.load({ NODE_ENV: "test" }).auth).toMatchObject({ issuer: "api-starter", audience: "api-starter" });
    expect(stack.load({ NODE_ENV: "development" }).auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    const resolution = stack.resolve({ NODE_ENV: "production", DEMO_API_SECRET_KEY: "k".repeat(32) });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.problems.map((problem) => problem.key)).toEqual(["auth.jwtSecret"]);
    expect(formatProblems("demo-api", resolution.problems)).toMatch(/auth\.jwtSecret \(from no layer\): required/);
  });

  it("takes the key from its variable, and never shows it", () => {
    const env = { NODE_ENV: "production", DEMO_API_SECRET_KEY: "k".repeat(32), DEMO_API_AUTH__JWT_SECRET: "short" };
    const resolution = stack.resolve(env);
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(formatProblems("demo-api", resolution.problems)).not.toContain("short");
  });
});
