/**
 * The upstream client (src/outbound/): methods with bodies, headers per upstream (secret ones
 * too), the request id sent on, retries of idempotent calls only, and the circuit breaker, each
 * against a real HTTP server on loopback that records what reached it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Outbound } from "../src/outbound/client.ts";
import type { AsyncApiSettings } from "../src/settings/index.ts";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

const servers: Server[] = [];
const clients: Outbound[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server that records each request and answers the n-th (from 0) as `answer(n, res)` says. */
async function upstream(answer: (n: number, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      answer(seen.length - 1, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown = {}, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

function client(
  url: string,
  {
    retry = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 },
    breaker = { failures: 0, openMs: 50 },
    requestTimeoutMs = 2_000,
    headers = {},
    secrets = {},
  }: {
    retry?: AsyncApiSettings["outbound"]["retry"];
    breaker?: AsyncApiSettings["outbound"]["breaker"];
    requestTimeoutMs?: number;
    headers?: Record<string, string>;
    secrets?: Record<string, string>;
  } = {},
) {
  const outbound = new Outbound(
    { connectTimeoutMs: 1_000, requestTimeoutMs, connections: 4, retry, breaker },
    {
      upstreams: { things: { url: `${url}/v1/`, statusPath: "/healthz", status: true, headers } },
      upstreamSecrets: { things: secrets },
    },
  );
  clients.push(outbound);
  return outbound.upstream("things");
}

describe("calls with bodies and headers", () => {
  it("a POST sends its JSON body, the upstream's headers, its secret headers and the request id", async () => {
    const server = await upstream((_n, res) => json(res, 201, { id: 7 }));
    const things = client(server.url, { headers: { "accept-version": "2" }, secrets: { "x-api-key": "k-123" } });
    const call = await things.call("/things", { method: "POST", body: { name: "a" }, requestId: "req-42" });
    expect(call).toMatchObject({ outcome: "ok", httpStatus: 201, body: { id: 7 } });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]).toMatchObject({ method: "POST", url: "/v1/things", body: '{"name":"a"}' });
    expect(server.seen[0]?.headers).toMatchObject({
      "content-type": "application/json",
      "accept-version": "2",
      "x-api-key": "k-123",
      "x-request-id": "req-42",
    });
  });

  it("a header given with the call wins over the upstream's", async () => {
    const server = await upstream((_n, res) => json(res, 200));
    const things = client(server.url, { headers: { "accept-version": "2" } });
    await things.call("/x", { method: "PUT", body: [], headers: { "accept-version": "3" } });
    expect(server.seen[0]).toMatchObject({ method: "PUT", headers: { "accept-version": "3" } });
  });

  it("an upstream the settings do not name is an error when the handler asks for it, naming the key", () => {
    const outbound = new Outbound({
      connectTimeoutMs: 1,
      requestTimeoutMs: 1,
      connections: 1,
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { failures: 0, openMs: 1 },
    });
    clients.push(outbound);
    expect(() => outbound.upstream("weather")).toThrow(/upstreams\.weather: .*settings do not name/);
  });
});

describe("retries", () => {
  it("a GET that met 503 is tried again, and the upstream's later answer is the call's", async () => {
    const server = await upstream((n, res) => (n < 2 ? json(res, 503) : json(res, 200, { fine: true })));
    const call = await client(server.url).call("/x");
    expect(call).toMatchObject({ outcome: "ok", httpStatus: 200, body: { fine: true } });
    expect(server.seen.map((s) => s.method)).toEqual(["GET", "GET", "GET"]);
  });

  it("gives up after maxRetries with the last answer, not an exception", async () => {
    const server = await upstream((_n, res) => json(res, 502, { n: 1 }));
    const call = await client(server.url, { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } }).call("/x");
    expect(call).toMatchObject({ outcome: "failed", httpStatus: 502 });
    expect(server.seen).toHaveLength(4);
  });

  it("a POST or PATCH is never retried: it may have taken effect", async () => {
    const server = await upstream((_n, res) => json(res, 503));
    const things = client(server.url);
    expect(await things.call("/x", { method: "POST", body: {} })).toMatchObject({ outcome: "failed", httpStatus: 503 });
    expect(await things.call("/x", { method: "PATCH", body: {} })).toMatchObject({
      outcome: "failed",
      httpStatus: 503,
    });
    expect(server.seen.map((s) => s.method)).toEqual(["POST", "PATCH"]);
  });

  it("a 500 is the upstream's bug, not a passing fault: not retried", async () => {
    const server = await upstream((_n, res) => json(res, 500));
    expect(await client(server.url).call("/x")).toMatchObject({ outcome: "failed", httpStatus: 500 });
    expect(server.seen).toHaveLength(1);
  });

  it("a connection reset before the answer is retried for a GET", async () => {
    const server = await upstream((n, res) => (n === 0 ? res.socket?.destroy() : json(res, 200, { ok: 1 })));
    expect(await client(server.url).call("/x")).toMatchObject({ outcome: "ok", body: { ok: 1 } });
    expect(server.seen).toHaveLength(2);
  });

  it("Retry-After is believed, up to maxDelayMs, within the call's timeout", async () => {
    // Retry-After: 3600 would be an hour: capped to maxDelayMs (20 ms), so the second try comes.
    const server = await upstream((n, res) =>
      n === 0 ? json(res, 429, {}, { "retry-after": "3600" }) : json(res, 200),
    );
    expect(await client(server.url).call("/x")).toMatchObject({ outcome: "ok", httpStatus: 200 });
    expect(server.seen).toHaveLength(2);
  });

  it("maxRetries 0 turns retries off", async () => {
    const server = await upstream((_n, res) => json(res, 503));
    const call = await client(server.url, { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } }).call("/x");
    expect(call).toMatchObject({ outcome: "failed", httpStatus: 503 });
    expect(server.seen).toHaveLength(1);
  });
});

describe("the circuit breaker", () => {
  it("opens after `failures` failed calls in a row: calls fail at once, without reaching the upstream", async () => {
    let healthy = false;
    const server = await upstream((_n, res) => (healthy ? json(res, 200) : json(res, 500)));
    const things = client(server.url, {
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { failures: 3, openMs: 60_000 },
    });
    for (let i = 0; i < 3; i++) expect(await things.call("/x")).toMatchObject({ outcome: "failed", httpStatus: 500 });
    healthy = true;
    const refused = await things.call("/x");
    expect(refused).toMatchObject({ outcome: "unreachable", detail: "things: circuit open after repeated failures" });
    expect(server.seen).toHaveLength(3);
  });

  it("after openMs one trial call goes through, and its success closes the circuit", async () => {
    let healthy = false;
    const server = await upstream((_n, res) => (healthy ? json(res, 200) : json(res, 503)));
    const things = client(server.url, {
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { failures: 2, openMs: 30 },
    });
    await things.call("/x");
    await things.call("/x");
    expect(await things.call("/x")).toMatchObject({ outcome: "unreachable" });
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await things.call("/x")).toMatchObject({ outcome: "ok" });
    expect(await things.call("/x")).toMatchObject({ outcome: "ok" });
    expect(server.seen).toHaveLength(4);
  });

  it("a 4xx answer is the upstream working: it does not open the circuit", async () => {
    const server = await upstream((_n, res) => json(res, 404));
    const things = client(server.url, { breaker: { failures: 2, openMs: 60_000 } });
    for (let i = 0; i < 4; i++) expect(await things.call("/x")).toMatchObject({ outcome: "failed", httpStatus: 404 });
    expect(server.seen).toHaveLength(4);
  });
});
