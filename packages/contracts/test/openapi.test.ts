import { readFileSync } from "node:fs";
import { validateOpenApi } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { api, controller, openApiDocument, openApiPath, syncHealth, testingEndpoints } from "../src/index.ts";

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
});
