/**
 * The dev proxy's routing, request ids, forwarded headers and WebSocket upgrades, against real
 * upstream servers on loopback.
 */

import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { api, controller, HealthStatus, internalPaths, PROBLEM_CONTENT_TYPE } from "@repo/contracts";
import { freePort, rawExchange, waitFor } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createDevProxy, isAsyncPath } from "../src/proxy.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** An upstream that answers with its own name, the path and the headers it received. */
async function echoUpstream(name: string) {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ upstream: name, url: req.url, headers: req.headers }));
  });
  // A WebSocket endpoint on the same server: it answers every message with its name.
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, req) => {
    socket.on("message", (data) => socket.send(`${name} ${req.url} ${String(data)}`));
  });
  return listen(server);
}

async function startProxy(asyncPrefix = "/async") {
  const proxyUrl = await listen(
    createDevProxy({
      asyncPrefix,
      syncTarget: await echoUpstream("sync"),
      asyncTarget: await echoUpstream("async"),
    }),
  );
  return async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${proxyUrl}${path}`, { headers });
    const body = (await response.json()) as { upstream: string; url: string; headers: IncomingHttpHeaders };
    return { response, body };
  };
}

describe("routing", () => {
  it.each([
    ["/async", true],
    ["/async/", true],
    ["/async/healthz?x=1", true],
    ["/async?x=1", true],
    ["/asyncx", false],
    ["/healthz", false],
    ["/", false],
    ["/other/async/x", false],
  ])("%s goes to async-api: %s", (path, toAsync) => {
    expect(isAsyncPath(path, "/async")).toBe(toAsync);
  });

  it("sends the async prefix to async-api and everything else to sync-api, paths unchanged", async () => {
    const get = await startProxy();
    expect((await get("/async/healthz?x=1")).body).toMatchObject({ upstream: "async", url: "/async/healthz?x=1" });
    expect((await get("/healthz")).body).toMatchObject({ upstream: "sync", url: "/healthz" });
    expect((await get("/asyncx")).body).toMatchObject({ upstream: "sync", url: "/asyncx" });
  });

  it("routes on the configured prefix", async () => {
    const get = await startProxy("/io");
    expect((await get("/io/x")).body.upstream).toBe("async");
    expect((await get("/async/x")).body.upstream).toBe("sync");
  });
});

describe("request headers", () => {
  it("makes a request id when the client sent none, and keeps a sane one", async () => {
    const get = await startProxy();
    const made = (await get("/healthz")).body.headers["x-request-id"];
    expect(made).toMatch(/^[0-9a-f]{32}$/);
    expect((await get("/async/x", { "x-request-id": "client-7" })).body.headers["x-request-id"]).toBe("client-7");
    expect((await get("/x", { "x-request-id": "has space" })).body.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("keeps the client's connection options to the client: a close is honoured, and not passed on", async () => {
    const syncTarget = await echoUpstream("sync");
    const proxyUrl = await listen(createDevProxy({ asyncPrefix: "/async", syncTarget, asyncTarget: syncTarget }));
    // rawExchange reads until the proxy closes: it must, at once, as the client asked.
    const closed = await rawExchange(
      proxyUrl,
      "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close, Upgrade\r\nUpgrade: foo\r\n\r\n",
    );
    expect(closed.headers.connection).toBe("close");
    expect(closed.headers["keep-alive"]).toBeUndefined();
    const { headers } = JSON.parse(closed.text) as { headers: IncomingHttpHeaders };
    expect(headers.connection).toBe("keep-alive");
    expect(headers.upgrade).toBeUndefined();
    const kept = await fetch(`${proxyUrl}/x`);
    expect(kept.headers.get("connection")).toBe("keep-alive");
  });

  it("sets X-Forwarded-* itself, dropping what the client claimed", async () => {
    const get = await startProxy();
    const { headers } = (await get("/healthz", { "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https" })).body;
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-proto"]).toBe("http");
  });
});

describe("WebSocket upgrades", () => {
  async function roundTrip(url: string): Promise<string> {
    const socket = new WebSocket(url);
    try {
      await new Promise((resolve, reject) => {
        socket.addEventListener("open", resolve, { once: true });
        socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
      });
      const reply = new Promise<string>((resolve) =>
        socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true }),
      );
      socket.send("ping");
      return await reply;
    } finally {
      socket.close();
    }
  }

  it("sends upgrades under the async prefix to async-api, others to sync-api", async () => {
    const syncTarget = await echoUpstream("sync");
    const asyncTarget = await echoUpstream("async");
    const proxyUrl = await listen(createDevProxy({ asyncPrefix: "/async", syncTarget, asyncTarget }));
    const ws = proxyUrl.replace("http", "ws");
    expect(await roundTrip(`${ws}/async/socket`)).toBe("async /async/socket ping");
    expect(await roundTrip(`${ws}/live`)).toBe("sync /live ping");
  });

  it("stays up when a client resets its connection in the middle of a WebSocket tunnel", async () => {
    const proxyUrl = await listen(
      createDevProxy({
        asyncPrefix: "/async",
        syncTarget: await echoUpstream("sync"),
        asyncTarget: await echoUpstream("async"),
      }),
    );
    const socket = connect(Number(new URL(proxyUrl).port), "127.0.0.1");
    socket.write(
      "GET /async/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    const [switched] = (await once(socket, "data")) as [Buffer];
    expect(switched.toString("latin1")).toMatch(/^HTTP\/1\.1 101 /);
    // A TCP reset, as a browser tab that goes away does: the proxy reads ECONNRESET on the tunnel.
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await fetch(`${proxyUrl}/healthz`)).status).toBe(200);
  });
});

describe("an upstream that is down", () => {
  it("answers 502 with a problem naming the app, and the request id", async () => {
    const deadPort = await freePort();
    const proxyUrl = await listen(
      createDevProxy({
        asyncPrefix: "/async",
        syncTarget: `http://127.0.0.1:${deadPort}`,
        asyncTarget: `http://127.0.0.1:${deadPort}`,
      }),
    );
    const response = await fetch(`${proxyUrl}/async/healthz`, { headers: { "x-request-id": "r-502" } });
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get("x-request-id")).toBe("r-502");
    expect(await response.json()).toEqual({
      type: "about:blank",
      title: "Bad Gateway",
      status: 502,
      detail: "async-api is not reachable",
      instance: "/async/healthz",
      requestId: "r-502",
    });
  });
});

describe("a connection the app reset before answering", () => {
  /**
   * An app whose connections each serve one request and die at the next (as a killed worker's
   * pooled connections do): the proxy's second request on a connection meets a reset.
   */
  async function oneRequestPerConnection() {
    const seen: string[] = [];
    const served = new WeakSet<object>();
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      res.end(`${req.method} answered`);
    });
    const target = await listen(server);
    const proxyUrl = await listen(createDevProxy({ asyncPrefix: "/async", syncTarget: target, asyncTarget: target }));
    return { proxyUrl, seen };
  }

  it("has an idempotent request without a body sent again at once on a fresh connection", async () => {
    const { proxyUrl, seen } = await oneRequestPerConnection();
    expect((await fetch(`${proxyUrl}/a`)).status).toBe(200);
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(`${proxyUrl}/b`, { method });
      expect([response.status, await response.text()]).toEqual([200, `${method} answered`]);
    }
    // Each met the dead connection once, then a fresh one.
    expect(seen).toEqual(["GET /a", "GET /b", "GET /b", "DELETE /b", "DELETE /b"]);
  });

  it("on a fresh connection (a worker killed after accepting it) has an idempotent request sent again too", async () => {
    const seen: string[] = [];
    let resets = 1;
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (resets-- > 0) req.socket.destroy();
      else res.end("answered");
    });
    const target = await listen(server);
    const proxyUrl = await listen(createDevProxy({ asyncPrefix: "/async", syncTarget: target, asyncTarget: target }));
    const response = await fetch(`${proxyUrl}/once`);
    expect([response.status, await response.text()]).toEqual([200, "answered"]);
    expect(seen).toEqual(["GET /once", "GET /once"]);
  });

  it("leaves a POST a 502, since the app may have read it before the connection died", async () => {
    const { proxyUrl, seen } = await oneRequestPerConnection();
    expect((await fetch(`${proxyUrl}/a`)).status).toBe(200);
    const response = await fetch(`${proxyUrl}/b`, { method: "POST", body: "a write" });
    expect(response.status).toBe(502);
    expect(seen).toEqual(["GET /a", "POST /b"]);
  });
});

describe("an app that drains (answers Connection: close)", () => {
  it("has its idle kept-alive connections closed by the proxy, so no request is sent on one as the app closes them", async () => {
    let draining = false;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const open = new Set<object>();
    const server = createServer(async (req, res) => {
      if (req.url === "/held") await held;
      if (draining) res.setHeader("connection", "close");
      res.end("ok");
    });
    server.on("connection", (socket) => {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
    });
    const target = await listen(server);
    const proxyUrl = await listen(createDevProxy({ asyncPrefix: "/async", syncTarget: target, asyncTarget: target }));
    // Three requests at once: three kept-alive connections from the proxy, idle once answered.
    const answers = Promise.all([1, 2, 3].map(() => fetch(`${proxyUrl}/held`)));
    await waitFor("three connections to the app", async () => (open.size === 3 ? true : undefined));
    release();
    for (const answer of await answers) expect(await answer.text()).toBe("ok");

    draining = true;
    expect(await (await fetch(`${proxyUrl}/a`)).text()).toBe("ok");
    // The answer's `Connection: close` closed that connection, and the proxy closed the idle two.
    await waitFor("the proxy to close its idle connections", async () => (open.size === 0 ? true : undefined), {
      timeoutMs: 2_000,
    });
  });
});

describe("request bodies over the app's limit", () => {
  it("get the 413 problem at the proxy, as nginx gives it, without reaching the app", async () => {
    const seen: string[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.url ?? "");
      req.resume();
      req.on("end", () => res.end("{}"));
    });
    const target = await listen(upstream);
    const proxyUrl = await listen(
      createDevProxy({
        asyncPrefix: "/async",
        syncTarget: target,
        asyncTarget: target,
        bodyLimitBytes: { sync: 1_000, async: 2_000 },
      }),
    );
    const post = (path: string, bytes: number) =>
      fetch(`${proxyUrl}${path}`, { method: "POST", headers: { "x-request-id": "big-1" }, body: "x".repeat(bytes) });
    const tooBig = await post("/async/x", 2_001);
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(await tooBig.json()).toMatchObject({ status: 413, title: "Content Too Large", requestId: "big-1" });
    expect((await post("/sync", 1_001)).status).toBe(413);
    expect((await post("/async/x", 2_000)).status).toBe(200);
    expect(seen).toEqual(["/async/x"]);
  });
});

/** An internal endpoint of the test's own: whatever the API declares internal today, this one is. */
const feed = controller("feed", "sync", {
  events: {
    method: "GET",
    path: "/feed-events",
    summary: "An internal feed",
    internal: true,
    responses: { 200: HealthStatus },
  },
});

/** The proxy as main.ts starts it: both echo upstreams, and the API's internal paths refused. */
async function proxyWithApi(): Promise<string> {
  return listen(
    createDevProxy({
      asyncPrefix: "/async",
      syncTarget: await echoUpstream("sync"),
      asyncTarget: await echoUpstream("async"),
      internalPaths: internalPaths([...api.sync, ...api.async, feed], "/async"),
    }),
  );
}

describe("internal endpoints", () => {
  it("are refused with a 404 problem however their path is written, and never reach an app", async () => {
    const proxyUrl = await proxyWithApi();
    // Written as Express would still route it to the internal endpoint: any case, a trailing
    // slash, dot segments, a query.
    for (const path of ["/feed-events", "/FEED-EVENTS/", "/feed/../feed-events", "/feed-events?after=0"]) {
      const response = await fetch(`${proxyUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
      expect(await response.json()).toMatchObject({ status: 404 });
    }
    // Public neighbours still pass.
    const neighbour = (await (await fetch(`${proxyUrl}/feed`)).json()) as { upstream: string };
    expect(neighbour.upstream).toBe("sync");
  });
});

describe("requests Node's parser refuses", () => {
  it.each([
    ["an unknown method", "FOO / HTTP/1.1\r\nhost: x\r\n\r\n", 501],
    ["20 KB of headers", `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
  ])("answers %s with a problem, as nginx's own errors are", async (_what, bytes, status) => {
    const proxyUrl = await proxyWithApi();
    const answer = await rawExchange(proxyUrl, bytes);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(answer.text)).toMatchObject({ status });
  });
});

describe("requests Node would answer itself", () => {
  it.each([
    ["CONNECT", "CONNECT /healthz HTTP/1.1\r\nhost: x\r\n\r\n", 405],
    ["CONNECT to an internal path", "CONNECT /feed-events HTTP/1.1\r\nhost: x\r\n\r\n", 404],
    ["no Host header", "GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n", 400],
    ["an Expect it cannot meet", "GET /healthz HTTP/1.1\r\nhost: x\r\nexpect: fancy\r\nconnection: close\r\n\r\n", 417],
  ])("answers %s with a problem", async (_what, bytes, status) => {
    const proxyUrl = await proxyWithApi();
    const answer = await rawExchange(proxyUrl, bytes);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
  });
});
