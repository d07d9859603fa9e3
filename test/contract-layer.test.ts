/**
 * The contract layer through both frameworks: the same requests to sync-api (Express) and to
 * async-api (Fastify) get the same problem+json answers. Both run their `test` route table, whose
 * test-only endpoints exercise every part of a contract.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProblemDetails, TEST_SCOPE, VALIDATION_PROBLEM_TYPE } from "@repo/contracts";
import { syncApiSettings } from "@repo/sync-api/settings";
import {
  ASYNC_PREFIX,
  freePort,
  rawExchange,
  rawHead,
  startApp,
  stopAll,
  testDatabaseUrl,
  waitForHttp,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBothApps } from "./support/both-apps.ts";
import { invalidTokens, validToken } from "./support/tokens.ts";

const dir = mkdtempSync(join(tmpdir(), "contract-layer-"));
let apps: Awaited<ReturnType<typeof startBothApps>>;

beforeAll(async () => {
  apps = await startBothApps(dir);
});
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function send(runtime: "sync" | "async", path: string, init: RequestInit = {}) {
  const response = await fetch(`${apps[runtime].url}${path}`, init);
  const text = await response.text();
  return { response, text, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe.each(["sync", "async"] as const)("%s app", (runtime) => {
  const prefix = runtime === "async" ? ASYNC_PREFIX : "";

  it("hands the handler every validated part of the request", async () => {
    const { response, body } = await send(
      runtime,
      "/_test/echo/7?limit=3",
      json({ email: "ada@example.com", age: 36 }, { "x-tenant": "acme" }),
    );
    expect(response.status).toBe(200);
    expect(body).toEqual({
      params: { id: 7 },
      query: { limit: 3 },
      headers: { "x-tenant": "acme" },
      body: { email: "ada@example.com", age: 36 },
    });
  });

  it("answers an invalid request with a 400 problem naming each failing field", async () => {
    const { response, body } = await send(
      runtime,
      "/_test/echo/abc?limit=99",
      json({ email: "not-an-email", age: -1, extra: true }, { "x-request-id": `v-${runtime}` }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = ProblemDetails.parse(body);
    expect(problem).toMatchObject({
      type: VALIDATION_PROBLEM_TYPE,
      status: 400,
      detail: "6 fields are invalid",
      instance: `${prefix}/_test/echo/abc?limit=99`,
      requestId: `v-${runtime}`,
    });
    expect(problem.errors?.map((e) => [e.location, e.code])).toEqual([
      ["params.id", "invalid_type"],
      ["query.limit", "too_big"],
      ["headers.x-tenant", "invalid_type"],
      ["body.email", "invalid_format"],
      ["body.age", "too_small"],
      ["body.extra", "unrecognized_keys"],
    ]);
  });

  it("answers malformed JSON with a 400 problem", async () => {
    const { response, body } = await send(runtime, "/_test/echo/1?limit=1", json('{"email": ', { "x-tenant": "acme" }));
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ status: 400, title: "Bad Request", detail: "The body is not valid JSON" });
  });

  it("answers a body that is not JSON with a 415 problem", async () => {
    const { response, body } = await send(runtime, "/_test/echo/1?limit=1", {
      method: "POST",
      headers: { "content-type": "text/plain", "x-tenant": "acme" },
      body: "email=a@b.c",
    });
    expect(response.status).toBe(415);
    expect(body).toMatchObject({ status: 415, detail: "Send the body as application/json" });
  });

  it("answers an oversized body with a 413 problem", async () => {
    const huge = { email: "a@b.co", age: 1, padding: "x".repeat(1_100_000) };
    const { response, body } = await send(runtime, "/_test/echo/1?limit=1", json(huge, { "x-tenant": "acme" }));
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: 413, title: "Content Too Large" });
  });

  it("answers a URL it cannot decode with a 400 problem", async () => {
    const { response, body } = await rawRequest(runtime, "GET", "/healthz/%", {});
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: response.status });
  });

  it("answers an unknown route with a 404 problem", async () => {
    const { response, body } = await send(runtime, "/no/such/route");
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ status: 404, title: "Not Found", instance: `${prefix}/no/such/route` });
  });

  it("answers an unsupported method with a 405 problem and Allow; OPTIONS with Allow", async () => {
    const { response, body } = await send(runtime, "/healthz", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(body).toMatchObject({ status: 405, title: "Method Not Allowed" });
    const options = await send(runtime, "/_test/echo/1", { method: "OPTIONS" });
    expect(options.response.status).toBe(204);
    expect(options.response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it.each(["TRACE", "PROPFIND", "QUERY"])(
    "answers %s on a declared path with a 405 problem and Allow",
    async (method) => {
      const { response, body } = await rawRequest(
        runtime,
        method,
        "/healthz",
        { "content-type": "application/json" },
        "{}",
      );
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET, HEAD, OPTIONS");
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ status: 405 });
    },
  );

  it("answers an unknown route without reading the body it was sent", async () => {
    // A megabyte announced and never sent: an app that read bodies before routing would wait for it.
    const { response, body } = await rawRequest(runtime, "POST", "/nope", {
      "content-type": "application/json",
      "content-length": "1000000",
    });
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ status: 404 });
  });

  it("refuses a JSON body that is not valid UTF-8 with a 400 problem", async () => {
    const invalid = Buffer.concat([
      Buffer.from('{"email":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('@b.co","age":3}'),
    ]);
    const { response, body } = await rawRequest(
      runtime,
      "POST",
      "/_test/echo/1?limit=1",
      { "content-type": "application/json", "x-tenant": "acme" },
      invalid,
    );
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: 400, detail: expect.stringContaining("UTF-8") });
  });

  it("answers a body of 80,000 unknown fields with a short 400 problem that counts them", async () => {
    // Just under the 1 MiB body limit.
    const fields: Record<string, number> = {};
    for (let i = 0; i < 80_000; i++) fields[`k${i}`] = 1;
    const { response, text, body } = await send(
      runtime,
      "/_test/echo/1?limit=1",
      json({ email: "a@b.co", age: 3, ...fields }, { "x-tenant": "acme" }),
    );
    expect(response.status).toBe(400);
    expect(body).toMatchObject({
      unlistedErrors: 80_000 - 50,
      detail: "80,000 fields are invalid; the first 50 are listed",
    });
    expect(text.length).toBeLessThan(10_000);
  });

  it.each([
    ["an unknown method", "FOO /healthz HTTP/1.1\r\nhost: x\r\n\r\n", 501],
    [
      "conflicting Content-Length headers",
      "POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
      400,
    ],
    [
      "a broken chunk",
      `POST ${prefix}/_test/echo/1?limit=1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`,
      400,
    ],
    ["20 KB of headers", `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
  ])("answers %s, refused by Node's parser, with a problem too", async (_what, bytes, status) => {
    const answer = await rawExchange(new URL(apps[runtime].url).origin, bytes);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(answer.text)).toMatchObject({ status });
  });

  it("answers an unexpected error with a 500 problem that hides it", async () => {
    const { response, text } = await send(runtime, "/_test/crash");
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      instance: `${prefix}/_test/crash`,
      requestId: expect.any(String),
    });
    expect(text).not.toContain("test-only failure");
  });

  it("answers a response that breaks its contract with a loud 500 naming the contract", async () => {
    const { response, body } = await send(runtime, "/_test/broken-response");
    expect(response.status).toBe(500);
    expect(ProblemDetails.parse(body).detail).toBe(
      `${runtime}Testing.brokenResponse (GET /_test/broken-response) answered 200 with a body that breaks its contract: body.ok: Invalid input: expected true`,
    );
  });
});

describe.each(["sync", "async"] as const)("%s app: bearer tokens, from the contract's security", (runtime) => {
  const whoami = (authorization?: string) =>
    send(runtime, "/_test/whoami", authorization ? { headers: { authorization } } : {});

  it("passes a valid token with the scope, and the handler sees its principal", async () => {
    const { response, body } = await whoami(`Bearer ${await validToken([TEST_SCOPE, "other"], "ada")}`);
    expect(response.status).toBe(200);
    expect(body).toEqual({ subject: "ada", scopes: [TEST_SCOPE, "other"] });
  });

  it("answers no token with a 401 problem and a Bearer challenge without an error code (RFC 6750)", async () => {
    for (const authorization of [undefined, "Basic YWRhOnNlY3JldA=="]) {
      const { response, body } = await whoami(authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="api", scope="${TEST_SCOPE}"`);
      expect(ProblemDetails.parse(body)).toMatchObject({
        status: 401,
        title: "Unauthorized",
        instance: `${runtime === "async" ? ASYNC_PREFIX : ""}/_test/whoami`,
      });
    }
  });

  it.each(Object.keys(invalidTokens))("answers a token that is %s with a 401 invalid_token problem", async (name) => {
    const token = await (invalidTokens[name] as () => Promise<string>)();
    const { response, body } = await whoami(`Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+"/,
    );
    expect(ProblemDetails.parse(body)).toMatchObject({ status: 401 });
  });

  it("says which check failed: an expired token is called expired", async () => {
    const { response } = await whoami(`Bearer ${await (invalidTokens.expired as () => Promise<string>)()}`);
    expect(response.headers.get("www-authenticate")).toContain('error_description="the token has expired"');
  });

  it("answers a valid token without the scope with a 403 insufficient_scope problem", async () => {
    const { response, body } = await whoami(`Bearer ${await validToken(["another:scope"])}`);
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a scope", scope="${TEST_SCOPE}"`,
    );
    expect(ProblemDetails.parse(body)).toMatchObject({ status: 403, title: "Forbidden" });
  });

  it("leaves public endpoints public: no token needed, a bad one not looked at", async () => {
    const { response } = await send(runtime, "/healthz", { headers: { authorization: "Bearer not-a-jwt" } });
    expect(response.status).toBe(200);
  });
});

describe("settings that change the contract layer", () => {
  it.each([
    [
      "sync-api",
      "SYNC_API_",
      "",
      { SYNC_API_WORKERS: "1", SYNC_API_DATABASE__URL: testDatabaseUrl(dir, "other.sqlite") },
    ],
    ["async-api", "ASYNC_API_", ASYNC_PREFIX, {}],
  ] as const)(
    "%s: response validation off lets a broken response through; exposeErrors shows a 500's message",
    async (name, prefix, path, extra) => {
      const port = await freePort();
      const app = startApp(name, {
        env: {
          [`${prefix}PORT`]: String(port),
          [`${prefix}HTTP__RESPONSE_VALIDATION`]: "false",
          [`${prefix}HTTP__EXPOSE_ERRORS`]: "true",
          [`${prefix}LOG__LEVEL`]: "fatal",
          ...extra,
        },
      });
      const url = `http://127.0.0.1:${port}${path}`;
      await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
      const broken = await fetch(`${url}/_test/broken-response`);
      expect(broken.status).toBe(200);
      expect(await broken.json()).toEqual({ ok: "yes" });
      const crash = await fetch(`${url}/_test/crash`);
      expect(await crash.json()).toMatchObject({
        status: 500,
        detail: "test-only failure: internals that must not reach the client",
      });
    },
  );
});

/** A request as raw bytes: any method, any body, or a body announced and never sent. */
async function rawRequest(
  runtime: "sync" | "async",
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ response: { status: number; headers: Readonly<Record<string, string>> }; body: unknown }> {
  const url = new URL(`${apps[runtime].url}${path}`);
  const head = rawHead(`${method} ${url.pathname}${url.search} HTTP/1.1`, {
    host: url.host,
    connection: "close",
    ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
    ...headers,
  });
  const answer = await rawExchange(url.origin, head, ...(body === undefined ? [] : [body]));
  return { response: answer, body: answer.text ? (JSON.parse(answer.text) as unknown) : undefined };
}

describe("CORS", () => {
  it.each([
    [
      "sync-api",
      "SYNC_API_",
      "",
      { SYNC_API_WORKERS: "1", SYNC_API_DATABASE__URL: testDatabaseUrl(dir, "cors.sqlite") },
    ],
    ["async-api", "ASYNC_API_", ASYNC_PREFIX, {}],
  ] as const)(
    "%s allows exactly the origins in http.corsOrigins, and none by default",
    async (name, prefix, path, extra) => {
      const allowed = "https://app.example.com";
      const start = async (origins?: string) => {
        const port = await freePort();
        const app = startApp(name, {
          env: {
            [`${prefix}PORT`]: String(port),
            [`${prefix}LOG__LEVEL`]: "fatal",
            ...(origins ? { [`${prefix}HTTP__CORS_ORIGINS`]: origins } : {}),
            ...extra,
          },
        });
        const url = `http://127.0.0.1:${port}${path}`;
        await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
        return url;
      };
      const preflight = (url: string, origin: string) =>
        fetch(`${url}/_test/echo/1`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
          },
        });

      const open = await start(JSON.stringify([allowed]));
      const ok = await preflight(open, allowed);
      expect(ok.status).toBeLessThan(300);
      expect(ok.headers.get("access-control-allow-origin")).toBe(allowed);
      expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
      const get = await fetch(`${open}/healthz`, { headers: { origin: allowed } });
      expect(get.headers.get("access-control-allow-origin")).toBe(allowed);
      const other = await fetch(`${open}/healthz`, { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();

      const closed = await start();
      const none = await fetch(`${closed}/healthz`, { headers: { origin: allowed } });
      expect(none.headers.get("access-control-allow-origin")).toBeNull();
    },
  );

  it("refuses an origin that is not one, naming the key", () => {
    const result = syncApiSettings.resolve({
      NODE_ENV: "test",
      SYNC_API_HTTP__CORS_ORIGINS: '["https://a.example/path"]',
    });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain("http.corsOrigins.0");
  });
});
