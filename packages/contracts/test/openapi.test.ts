import { readFileSync } from "node:fs";
import { validateOpenApi } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { api, openApiDocument, openApiPath } from "../src/index.ts";

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
    // The SSE stream is not a controller endpoint.
    expect(operations.sort()).toEqual([...expected, "GET /async/events/notes async"].sort());
    const internal = endpoints.filter(({ endpoint }) => endpoint.internal);
    expect(internal.map(({ endpoint }) => endpoint.path)).toContain("/note-events");
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
    expect(document.components?.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    });
    type Operation = { security?: unknown; responses: Record<string, unknown> };
    const op = (path: string, method: string) => document.paths[path]?.[method] as Operation;
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
      ["/healthz", "get"],
    ] as const) {
      expect(op(path, method).security, `${method} ${path}`).toBeUndefined();
      expect(Object.keys(op(path, method).responses)).not.toContain("401");
    }
    // The SSE stream: any valid token, also as `?access_token=`.
    expect(op("/async/events/notes", "get").security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(op("/async/events/notes", "get"))).toContain("access_token");
  });

  it("carries the prefix it is given", () => {
    expect(Object.keys(openApiDocument({ asyncPrefix: "/io" }).paths)).toContain("/io/healthz");
  });

  it("adds the semantic error answers: 400 where there is input, 413 and 415 where there is a body, 500 everywhere", () => {
    type Responses = Record<string, { content?: Record<string, unknown> }>;
    const op = (path: string, method: string): Responses => {
      const operation = document.paths[path]?.[method] as { responses: Responses } | undefined;
      if (!operation) throw new Error(`no ${method} ${path}`);
      return operation.responses;
    };
    // 429: POST /notes is rate-limited (the next test).
    expect(Object.keys(op("/notes", "post")).sort()).toEqual(["201", "400", "401", "403", "413", "415", "429", "500"]);
    expect(Object.keys(op("/notes/{id}", "get")).sort()).toEqual(["200", "400", "404", "500"]);
    expect(Object.keys(op("/healthz", "get")).sort()).toEqual(["200", "500"]);
    expect(Object.keys(op("/notes/{id}", "delete")["204"] ?? {})).not.toContain("content");
    expect(Object.keys(op("/notes", "post")["400"]?.content ?? {})).toEqual(["application/problem+json"]);
  });

  it("describes a rate-limited endpoint's limit: its 429 problem, the headers that tell it, x-ratelimit", () => {
    type Operation = {
      "x-ratelimit"?: unknown;
      responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: object }>;
    };
    const op = (path: string, method: string) => document.paths[path]?.[method] as Operation;
    for (const [path, method, limit] of [
      ["/notes", "post", { limit: 60, windowMs: 60_000 }],
      ["/notes/{id}", "patch", { limit: 60, windowMs: 60_000 }],
      ["/notes/{id}", "delete", { limit: 60, windowMs: 60_000 }],
      ["/async/status", "get", { limit: 30, windowMs: 60_000 }],
    ] as const) {
      const operation = op(path, method);
      expect(operation["x-ratelimit"]).toEqual(limit);
      const refused = operation.responses["429"];
      expect(refused?.description).toContain(`More than ${limit.limit} requests from one client in 60 s`);
      expect(Object.keys(refused?.headers ?? {}).sort()).toEqual(["ratelimit", "ratelimit-policy", "retry-after"]);
      expect(Object.keys(refused?.content ?? {})).toEqual(["application/problem+json"]);
    }
    expect(op("/notes", "get").responses["429"]).toBeUndefined();
    expect(op("/notes", "get")["x-ratelimit"]).toBeUndefined();
  });
});
