import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  decodeCursor,
  type EndpointContract,
  encodeCursor,
  HttpProblem,
  isJsonContentType,
  isWellFormedJson,
  MAX_LISTED_ERRORS,
  NON_CANONICAL_NUMBER,
  responseMismatch,
  testingEndpoints,
  UNKNOWN_QUERY_PARAMETER,
  validateRequest,
  validationProblem,
} from "../src/index.ts";

const echo: EndpointContract = testingEndpoints.echo;

describe("validateRequest", () => {
  it("returns every part parsed (coerced) when the request fits", () => {
    const result = validateRequest(echo, {
      params: { id: "12" },
      query: { limit: "3" },
      headers: { "x-tenant": "acme", "user-agent": "t" },
      body: { email: "a@b.co", age: 2 },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        params: { id: 12 },
        query: { limit: 3 },
        headers: { "x-tenant": "acme" },
        body: { email: "a@b.co", age: 2 },
      },
    });
  });

  it("checks every part and reports each failing field with its location", () => {
    const result = validateRequest(echo, { params: { id: "0" }, query: {}, headers: {}, body: { email: 1, more: 1 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.location)).toEqual([
      "params.id",
      "query.limit",
      "headers.x-tenant",
      "body.email",
      "body.age",
      "body.more",
    ]);
  });

  it("lists at most MAX_LISTED_ERRORS failing fields and counts the rest, however many there are", () => {
    // ~1 MB of short unknown keys: once a stack overflow in the validator (a spread of every error).
    const body: Record<string, number> = { email: 1 };
    for (let i = 0; i < 123_000; i++) body[`k${i}`] = 1;
    const result = validateRequest(echo, {
      params: { id: "1" },
      query: { limit: "1" },
      headers: { "x-tenant": "ab" },
      body,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(result.total).toBe(123_000 + 2);
    const problem = validationProblem(result.errors, {}, result.total);
    expect(problem).toMatchObject({
      detail: "123,002 fields are invalid; the first 50 are listed",
      unlistedErrors: 122_952,
    });
    expect(JSON.stringify(problem).length).toBeLessThan(10_000);
  });

  it("tells well-formed JSON values from ones with a lone surrogate, however deep", () => {
    expect(isWellFormedJson({ a: ["\ud83d\ude00", { b: "ok" }] })).toBe(true);
    expect(isWellFormedJson({ a: ["x", { b: "\ud800" }] })).toBe(false);
    expect(isWellFormedJson({ "\udfff": 1 })).toBe(false);
    let deep: unknown = "\ud800";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(isWellFormedJson(deep)).toBe(false);
  });

  it("reports a missing body as the body", () => {
    const result = validateRequest(echo, {
      params: { id: 1 },
      query: { limit: 1 },
      headers: { "x-tenant": "ab" },
      body: undefined,
    });
    expect(!result.ok && result.errors).toEqual([
      { location: "body", message: expect.any(String), code: "invalid_type" },
    ]);
  });

  it("passes parts the contract does not describe as undefined", () => {
    const bare: EndpointContract = { method: "GET", path: "/x", summary: "x", responses: { 200: z.null() } };
    expect(validateRequest(bare, { params: { a: 1 }, query: {}, headers: {}, body: "c" })).toEqual({
      ok: true,
      value: { params: undefined, query: undefined, headers: undefined, body: undefined },
    });
  });

  it("refuses a query key the contract does not declare, whether it declares a query or not", () => {
    const bare: EndpointContract = { method: "GET", path: "/x", summary: "x", responses: { 200: z.null() } };
    const parts = { params: { id: "1" }, query: { limit: "1", lmit: "2" }, headers: { "x-tenant": "ab" } };
    expect(validateRequest(echo, { ...parts, body: { email: "a@b.co", age: 1 } })).toEqual({
      ok: false,
      errors: [{ location: "query.lmit", message: UNKNOWN_QUERY_PARAMETER, code: "unrecognized_keys" }],
      total: 1,
    });
    expect(validateRequest(bare, { params: {}, query: { b: "2" }, headers: {}, body: undefined })).toMatchObject({
      ok: false,
      errors: [{ location: "query.b" }],
    });
  });

  it("takes a number in a path in decimal only: one resource, one URL", () => {
    const request = (id: string) => ({
      params: { id },
      query: { limit: "1" },
      headers: { "x-tenant": "ab" },
      body: { email: "a@b.co", age: 1 },
    });
    for (const id of ["1", "12", "987654321"]) expect(validateRequest(echo, request(id)).ok, id).toBe(true);
    for (const id of ["1e3", "0x10", "+1", "01", " 1", "1.0", "0b1"]) {
      const result = validateRequest(echo, request(id));
      expect(!result.ok && result.errors, id).toEqual([
        { location: "params.id", message: NON_CANONICAL_NUMBER, code: "invalid_format" },
      ]);
    }
    // zod's own verdict when it refuses the value: the field is reported once.
    const refused = validateRequest(echo, request("-01"));
    expect(!refused.ok && refused.errors.map((e) => e.location)).toEqual(["params.id"]);
  });
});

describe("responseMismatch", () => {
  const endpoint: EndpointContract = {
    method: "DELETE",
    path: "/things/:id",
    summary: "x",
    responses: { 200: z.object({ ok: z.boolean() }), 204: null },
  };
  it("accepts a declared status with a fitting body, or no body where none is declared", () => {
    expect(responseMismatch("t.x", endpoint, 200, { ok: true })).toBeUndefined();
    expect(responseMismatch("t.x", endpoint, 204, undefined)).toBeUndefined();
  });
  it("names the contract and what is wrong", () => {
    expect(responseMismatch("t.x", endpoint, 201, {})).toBe(
      "t.x answered 201, which its contract does not declare (200, 204)",
    );
    expect(responseMismatch("t.x", endpoint, 204, { a: 1 })).toBe(
      "t.x answered 204 with a body, but its contract declares none",
    );
    expect(responseMismatch("t.x", endpoint, 200, { ok: "y" })).toMatch(
      /^t\.x answered 200 with a body that breaks its contract: body\.ok: /,
    );
  });
});

describe("cursors", () => {
  const Position = z.object({ before: z.int() });
  it("round-trip a position signed with the secret key", () => {
    const cursor = encodeCursor({ before: 41 }, "k".repeat(32));
    expect(decodeCursor(cursor, "k".repeat(32), Position)).toEqual({ before: 41 });
  });

  it.each([
    ["forged", (c: string) => `${Buffer.from('{"before":1}').toString("base64url")}.${c.split(".")[1]}`],
    ["signed with another key", () => encodeCursor({ before: 41 }, "other".repeat(8))],
    ["truncated", (c: string) => c.slice(0, -3)],
    ["not a cursor", () => "hello"],
    ["of another shape", () => encodeCursor({ after: "x" }, "k".repeat(32))],
  ])("refuse a cursor that is %s with a 400 on query.cursor", (_what, make) => {
    const cursor = make(encodeCursor({ before: 41 }, "k".repeat(32)));
    try {
      decodeCursor(cursor, "k".repeat(32), Position);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HttpProblem);
      expect((error as HttpProblem).body.errors).toEqual([
        { location: "query.cursor", message: "not a cursor this API made", code: "invalid_cursor" },
      ]);
    }
  });
});

describe("isJsonContentType", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON", true],
    ["application/merge-patch+json", true],
    ["text/plain", false],
    ["application/jsonx", false],
    [undefined, false],
  ])("%s → %s", (type, json) => {
    expect(isJsonContentType(type)).toBe(json);
  });
});
