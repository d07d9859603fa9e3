import { readFileSync } from "node:fs";
import { validateOpenApi } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { api, openApiDocument } from "../src/index.ts";

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

  it("lists every endpoint of both apps, async ones under the async prefix", () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${(op as { "x-runtime": string })["x-runtime"]}`,
      ),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /healthz sync",
        "GET /readyz sync",
        "GET /compute/primes sync",
        "GET /notes sync",
        "POST /notes sync",
        "GET /notes/{id} sync",
        "PATCH /notes/{id} sync",
        "DELETE /notes/{id} sync",
        "GET /note-events sync",
        "GET /async/healthz async",
        "GET /async/readyz async",
        "GET /async/status async",
        "GET /async/events/notes async",
      ].sort(),
    );
    // Every controller endpoint, plus the SSE stream (which is not a controller endpoint).
    const count = [...api.sync, ...api.async].reduce((n, c) => n + Object.keys(c.endpoints).length, 0);
    expect(operations).toHaveLength(count + 1);
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
    expect(Object.keys(op("/notes", "post")).sort()).toEqual(["201", "400", "413", "415", "500"]);
    expect(Object.keys(op("/notes/{id}", "get")).sort()).toEqual(["200", "400", "404", "500"]);
    expect(Object.keys(op("/healthz", "get")).sort()).toEqual(["200", "500"]);
    expect(Object.keys(op("/notes/{id}", "delete")["204"] ?? {})).not.toContain("content");
    expect(Object.keys(op("/notes", "post")["400"]?.content ?? {})).toEqual(["application/problem+json"]);
  });
});
