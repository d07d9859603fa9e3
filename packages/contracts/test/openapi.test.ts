import { readFileSync } from "node:fs";
import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import { validateOpenApi } from "@repo/testing";
import { describe, expect, it } from "vitest";
import {
  api,
  controller,
  type OpenApiDocument,
  openApiDocument,
  openApiPath,
  syncHealth,
  TEST_SCOPE,
  testingEndpoints,
} from "../src/index.ts";

const document = openApiDocument();

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const { version, errors } = await validateOpenApi(document);
    expect(errors).toEqual([]);
    expect(version).toBe("3.1");
  });

  it("matches the committed openapi.json (run `pnpm openapi` after changing a contract)", () => {
    const committed = JSON.parse(readFileSync(new URL("../openapi.json", import.meta.url), "utf8")) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it("lists every public endpoint of both apps, async ones under the async prefix, and no internal one", () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${(op as { "x-runtime": string })["x-runtime"]}`,
      ),
    );
    // Derived from the contracts: no list of endpoints to keep by hand.
    const endpoints = [...api.sync, ...api.async].flatMap((ctrl) =>
      Object.values(ctrl.endpoints).map((endpoint) => ({ ctrl, endpoint })),
    );
    const expected = endpoints
      .filter(({ endpoint }) => !endpoint.internal)
      .map(
        ({ ctrl, endpoint }) =>
          `${endpoint.method} ${ctrl.runtime === "async" ? "/async" : ""}${openApiPath(endpoint.path)} ${ctrl.runtime}`,
      );
    expected.push("GET /async/events/notes async"); // #example: the SSE stream, not a controller endpoint
    expect(operations.sort()).toEqual(expected.sort());
    const internal = endpoints.filter(({ endpoint }) => endpoint.internal);
    expect(internal.map(({ endpoint }) => endpoint.path)).toContain("/note-events"); // #example
    for (const { endpoint } of internal) expect(document.paths[openApiPath(endpoint.path)]).toBeUndefined();
  });

  it("publishes what the validator enforces: a body schema that refuses {} says so", () => {
    const schemas = (document.components?.schemas ?? {}) as Record<
      string,
      { required?: string[]; minProperties?: number }
    >;
    for (const ctrl of [...api.sync, ...api.async]) {
      for (const [name, endpoint] of Object.entries(ctrl.endpoints)) {
        if (!endpoint.body || endpoint.body.safeParse({}).success) continue;
        const id = (endpoint.body.meta() as { id?: string } | undefined)?.id;
        const published = id ? schemas[id] : undefined;
        expect(published, `${ctrl.name}.${name}`).toBeDefined();
        expect(
          (published?.required?.length ?? 0) > 0 || (published?.minProperties ?? 0) > 0,
          `${ctrl.name}.${name}`,
        ).toBe(true);
      }
    }
  });

  it("publishes the security the contracts declare: the bearer JWT scheme, each secured operation's scopes and its 401/403", () => {
    // The test-only endpoints: `whoami` needs a token granting TEST_SCOPE, the echo route is public.
    const testing = openApiDocument({ controllers: [syncHealth, controller("testing", "sync", testingEndpoints)] });
    for (const published of [document, testing]) {
      expect(published.components?.securitySchemes).toEqual({
        bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
      });
    }
    type Operation = { security?: unknown; responses: Record<string, unknown> };
    const opOf = (published: OpenApiDocument, path: string, method: string) =>
      published.paths[path]?.[method] as Operation;
    const whoami = opOf(testing, "/_test/whoami", "get");
    expect(whoami.security).toEqual([{ bearerAuth: [TEST_SCOPE] }]);
    expect(Object.keys(whoami.responses)).toEqual(expect.arrayContaining(["401", "403"]));
    for (const [path, method] of [
      ["/_test/echo/{id}", "post"],
      ["/healthz", "get"],
    ] as const) {
      expect(opOf(testing, path, method).security, `${method} ${path}`).toBeUndefined();
      expect(Object.keys(opOf(testing, path, method).responses)).not.toContain("401");
    }
    // #region example
    const op = (path: string, method: string) => opOf(document, path, method);
    for (const [path, method] of [
      ["/notes", "post"],
      ["/notes/{id}", "patch"],
      ["/notes/{id}", "delete"],
    ] as const) {
      expect(op(path, method).security, `${method} ${path}`).toEqual([{ bearerAuth: ["notes:write"] }]);
      expect(Object.keys(op(path, method).responses)).toEqual(expect.arrayContaining(["401", "403"]));
    }
    // Reads stay public: no security, no 401.
    for (const [path, method] of [
      ["/notes", "get"],
      ["/notes/{id}", "get"],
    ] as const) {
      expect(op(path, method).security, `${method} ${path}`).toBeUndefined();
      expect(Object.keys(op(path, method).responses)).not.toContain("401");
    }
    // The SSE stream: any valid token, also as `?access_token=`.
    expect(op(`${DEFAULT_ASYNC_PREFIX}/events/notes`, "get").security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(op(`${DEFAULT_ASYNC_PREFIX}/events/notes`, "get"))).toContain("access_token");
    // #endregion example
  });

  it("carries the prefix it is given", () => {
    expect(Object.keys(openApiDocument({ asyncPrefix: "/io" }).paths)).toContain("/io/healthz");
  });

  it("adds the semantic error answers: 400 where there is input, 413 and 415 where there is a body, 500 everywhere", () => {
    // The test-only endpoints have every kind of input, whatever the API holds today.
    const testing = openApiDocument({ controllers: [syncHealth, controller("testing", "sync", testingEndpoints)] });
    type Responses = Record<string, { content?: Record<string, unknown> }>;
    const op = (path: string, method: string): Responses => {
      const operation = testing.paths[path]?.[method] as { responses: Responses } | undefined;
      if (!operation) throw new Error(`no ${method} ${path}`);
      return operation.responses;
    };
    expect(Object.keys(op("/_test/echo/{id}", "post")).sort()).toEqual(["200", "400", "413", "415", "500"]);
    expect(Object.keys(op("/_test/slow", "get")).sort()).toEqual(["200", "400", "500"]);
    expect(Object.keys(op("/healthz", "get")).sort()).toEqual(["200", "500"]);
    expect(Object.keys(op("/_test/echo/{id}", "post")["400"]?.content ?? {})).toEqual(["application/problem+json"]);
  });

  it("describes a rate-limited endpoint's limit: its 429 problem, the headers that tell it, x-ratelimit", () => {
    type Operation = {
      "x-ratelimit"?: unknown;
      responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: object }>;
    };
    const testing = openApiDocument({ controllers: [syncHealth, controller("testing", "sync", testingEndpoints)] });
    const opOf = (published: OpenApiDocument, path: string, method: string) =>
      published.paths[path]?.[method] as Operation;
    for (const [published, path, method, limit] of [
      [testing, "/_test/limited", "get", { limit: 5, windowMs: 3_600_000 }],
      [document, `${DEFAULT_ASYNC_PREFIX}/status`, "get", { limit: 30, windowMs: 60_000 }],
      // #region example
      [document, "/notes", "post", { limit: 60, windowMs: 60_000 }],
      [document, "/notes/{id}", "patch", { limit: 60, windowMs: 60_000 }],
      [document, "/notes/{id}", "delete", { limit: 60, windowMs: 60_000 }],
      // #endregion example
    ] as const) {
      const operation = opOf(published, path, method);
      expect(operation["x-ratelimit"]).toEqual(limit);
      const refused = operation.responses["429"];
      expect(refused?.description).toContain(
        `More than ${limit.limit} requests from one client in ${limit.windowMs / 1_000} s`,
      );
      expect(Object.keys(refused?.headers ?? {}).sort()).toEqual(["ratelimit", "ratelimit-policy", "retry-after"]);
      expect(Object.keys(refused?.content ?? {})).toEqual(["application/problem+json"]);
    }
    // Unlimited endpoints have neither.
    expect(opOf(document, "/healthz", "get").responses["429"]).toBeUndefined();
    expect(opOf(document, "/healthz", "get")["x-ratelimit"]).toBeUndefined();
  });
});
