/**
 * nginx at the edge, tried from outside: requests it cannot parse, clients that stall, and the
 * per-client limits. A real nginx on the rendered infra template (compose's proxy environment,
 * with small timeouts and limits set through the template's variables, so each case takes
 * seconds) in front of a tiny upstream: one node:http server standing in for both apps.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { PROBLEM_CONTENT_TYPE, ProblemDetails, UpstreamProblem } from "@repo/contracts";
import { ACCESS_TOKEN_KEY } from "@repo/shared-settings";
import {
  freePort,
  NGINX_TEMPLATE,
  type NginxProcess,
  nginxMissing,
  ONE_CLIENT_LOAD_LIMITS,
  proxyEnvironment,
  type RawResponse,
  rawRequest,
  runsHere,
  startNginx,
  trickle,
  waitFor,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

const proxyEnv = proxyEnvironment();
const withNginx = describe.skipIf(!runsHere("nginx's edge", nginxMissing()));

/** What the stand-in app saw, and the answers it holds open. */
interface Upstream {
  readonly port: number;
  /** Every request that reached it: method, path and Host. */
  readonly seen: string[];
  /** `GET /hold` answers, not yet sent. */
  readonly held: ServerResponse[];
  /** Open SSE streams and WebSockets. */
  readonly streams: Set<ServerResponse | Socket>;
  close(): Promise<void>;
}

/**
 * `/hold` waits until released; `/app-429` is the app's own 429 with its own Retry-After;
 * `/async/events` is an SSE stream with a heartbeat every `heartbeatMs`; `/async/socket` upgrades and
 * stays open; anything else is 200 once its body has arrived.
 */
async function startUpstream({ heartbeatMs = 1_000 } = {}): Promise<Upstream> {
  const seen: string[] = [];
  const held: ServerResponse[] = [];
  const streams = new Set<ServerResponse | Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const served = new WeakMap<Socket, number>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.push(`${request.method} ${request.url} ${request.headers.host}`);
    const before = served.get(request.socket) ?? 0;
    served.set(request.socket, before + 1);
    if (request.url === "/drop-kept-alive" && before > 0) {
      // A draining app closing a kept-alive connection just as nginx sent a request on it.
      request.socket.destroy();
      return;
    }
    if (request.url === "/hold") {
      held.push(response);
      return;
    }
    if (request.url === "/app-429") {
      response.writeHead(429, { "content-type": PROBLEM_CONTENT_TYPE, "retry-after": "7" });
      response.end('{"type":"about:blank","title":"Too Many Requests","status":429}');
      return;
    }
    if (request.url?.split("?", 1)[0] === "/async/events") {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      response.write(": open\n\n");
      streams.add(response);
      const heartbeat = setInterval(() => response.write(": heartbeat\n\n"), heartbeatMs);
      timers.add(heartbeat);
      response.on("close", () => {
        clearInterval(heartbeat);
        streams.delete(response);
      });
      return;
    }
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    });
  });
  // As the apps do (refuseConnect): a 405 written on the socket Node hands over.
  server.on("connect", (request: IncomingMessage, socket: Socket) => {
    seen.push(`${request.method} ${request.url} ${request.headers.host}`);
    socket.end("HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  server.on("upgrade", (request: IncomingMessage, socket: Socket) => {
    seen.push(`${request.method} ${request.url} ${request.headers.host}`);
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    streams.add(socket);
    socket.on("close", () => streams.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    held,
    streams,
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const response of held) response.destroy();
      for (const stream of streams) stream.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let running: { nginx: NginxProcess; upstream: Upstream } | undefined;
afterEach(async () => {
  await running?.nginx.stop("SIGQUIT");
  await running?.upstream.close();
  running = undefined;
});

/** nginx on the template with compose's proxy environment and `variables` over it, in front of a fresh upstream (unless `variables` name another). */
async function startEdge(
  variables: Readonly<Record<string, string>>,
  upstreamOptions?: Parameters<typeof startUpstream>[0],
  nginxOptions?: Parameters<typeof startNginx>[1],
): Promise<{ url: string; upstream: Upstream }> {
  const upstream = await startUpstream(upstreamOptions);
  const port = await freePort();
  const nginx = startNginx(
    {
      ...proxyEnv,
      NGINX_PORT: String(port),
      SYNC_API_UPSTREAM: `127.0.0.1:${upstream.port}`,
      ASYNC_API_UPSTREAM: `127.0.0.1:${upstream.port}`,
      ...variables,
    },
    nginxOptions,
  );
  running = { nginx, upstream };
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "nginx to listen",
    async () => {
      try {
        return (await fetch(`${url}/ready`)).ok || undefined;
      } catch {
        return undefined;
      }
    },
    { abortIf: nginx.exitReason },
  );
  upstream.seen.length = 0;
  return { url, upstream };
}

/** The answer is nginx's own problem of `status`, its requestId the one in X-Request-ID. */
function expectProblem(answer: RawResponse | undefined, status: number): ProblemDetails {
  expect(answer?.status, answer?.head).toBe(status);
  expect(answer?.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
  const problem = ProblemDetails.parse(JSON.parse(answer?.text ?? ""));
  expect(problem).toMatchObject({ type: "about:blank", status });
  expect(problem.requestId).toBe(answer?.headers["x-request-id"]);
  expect(answer?.headers["x-content-type-options"]).toBe("nosniff");
  return problem;
}

/** Opens a raw connection, writes `head`, and resolves once the answer's head has arrived (the connection stays open). */
function openHeld(url: string, head: string): Promise<{ socket: Socket; head: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let data = "";
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
      if (data.includes("\r\n\r\n")) resolve({ socket, head: data.slice(0, data.indexOf("\r\n\r\n")) });
    });
    socket.on("error", reject);
  });
}

withNginx("requests nginx cannot parse", () => {
  // Each is refused by nginx itself, before any app sees it; some before nginx has a URI at all.
  const cases: [string, string][] = [
    ["a %00 in the path", "GET /items/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a path above the root", "GET /..%2f..%2f..%2fetc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a relative request target", "GET items HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["no method at all", "NOT-HTTP\r\n\r\n"],
    ["two Host headers", "GET /items HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"],
    ["two Content-Lengths", "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"],
    ["a Content-Length that is no number", "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{}"],
    [
      "both Content-Length and Transfer-Encoding",
      "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ],
    ["a bad chunk", "POST /items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"],
    [
      "a transfer coding other than chunked",
      "POST /items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ],
  ];

  it("are each a 400 problem with a request id, and none reaches an app", async () => {
    const { url, upstream } = await startEdge({});
    for (const [what, bytes] of cases) {
      const answer = await rawRequest(url, Buffer.from(bytes, "latin1"));
      expect(expectProblem(answer, 400), what).toMatchObject({
        title: "Bad Request",
        detail: "The request is not valid HTTP",
      });
    }
    expect(upstream.seen).toEqual([]);
  });

  it("keep the client's X-Request-ID when nginx read it before the fault, and make one otherwise", async () => {
    const { url } = await startEdge({});
    const before = "GET /items HTTP/1.1\r\nHost: x\r\nX-Request-ID: edge-400\r\nHost: y\r\n\r\n";
    expect(expectProblem(await rawRequest(url, Buffer.from(before)), 400).requestId).toBe("edge-400");
    // nginx stops reading the head at the second Host: what follows it is never seen.
    const after = "GET /items HTTP/1.1\r\nHost: x\r\nHost: y\r\nX-Request-ID: edge-400\r\n\r\n";
    expect(expectProblem(await rawRequest(url, Buffer.from(after)), 400).requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a request line longer than nginx's buffers is a 414 problem (it has no URI either)", async () => {
    const { url } = await startEdge({});
    const answer = await rawRequest(url, Buffer.from(`GET /${"a".repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(expectProblem(answer, 414).title).toBe("URI Too Long");
  });

  it("a header block larger than nginx's buffers is a 431 problem", async () => {
    const { url } = await startEdge({});
    const answer = await rawRequest(url, { method: "GET", target: "/items", headers: [["X-Big", "a".repeat(20_000)]] });
    expect(expectProblem(answer, 431).title).toBe("Request Header Fields Too Large");
  });

  it("an HTTP version nginx does not speak is a 505 problem", async () => {
    const { url } = await startEdge({});
    const answer = await rawRequest(url, Buffer.from("GET /items HTTP/2.0\r\nHost: x\r\n\r\n"));
    expect(expectProblem(answer, 505).title).toBe("HTTP Version Not Supported");
  });

  it("TRACE and CONNECT, which nginx refuses before routing, go where their path goes: the app, or the internal path's 404", async () => {
    const { url, upstream } = await startEdge({});
    const trace = await rawRequest(url, { method: "TRACE", target: "/items" });
    const connect = await rawRequest(url, { method: "CONNECT", target: "/async/status" });
    expect([trace?.status, connect?.status]).toEqual([200, 405]);
    // #region example
    for (const method of ["TRACE", "CONNECT"]) {
      const internal = await rawRequest(url, { method, target: "/note-events" });
      expect(expectProblem(internal, 404).title, method).toBe("Not Found");
    }
    // #endregion example
    expect(upstream.seen.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual([
      "TRACE /items",
      "CONNECT /async/status",
    ]);
  });

  it("an HTTP/1.0 request without Host reaches the app with the address it came to as Host", async () => {
    const { url, upstream } = await startEdge({});
    const answer = await rawRequest(url, Buffer.from("GET /items HTTP/1.0\r\n\r\n"));
    expect(answer?.status).toBe(200);
    expect(upstream.seen).toEqual([`GET /items ${new URL(url).host}`]);
  });

  it("the problems' internal locations are not served to a client: 404 problem", async () => {
    const { url, upstream } = await startEdge({});
    for (const path of ["/_nginx/problem/400", "/_nginx/problem/502"]) {
      const answer = await rawRequest(url, { method: "GET", target: path });
      expect(expectProblem(answer, 404).title, path).toBe("Not Found");
    }
    expect(upstream.seen).toEqual([]);
  });
});

withNginx("a client that stalls", () => {
  // nginx answers no timeout (in 1.22 and since, ngx_http_finalize_request terminates a request
  // that timed out, ngx_http_process_request_headers closes it): the client is cut, not told.
  it("stalling its body (a byte every 3 s) is cut after client_body_timeout", async () => {
    const { url, upstream } = await startEdge({ NGINX_CLIENT_BODY_TIMEOUT: "1s" });
    const head = "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n";
    expect(await trickle(url, head, { everyMs: 3_000, pieces: ["x"], repeat: true })).toBeUndefined();
    // The body streams to the app (no request buffering): it saw the request begin.
    expect(upstream.seen).toEqual(["POST /items x"]);
  });

  it("trickling its head (a header every 300 ms) is cut when client_header_timeout ends: a deadline for the whole head", async () => {
    const { url, upstream } = await startEdge({ NGINX_CLIENT_HEADER_TIMEOUT: "1s" });
    const head = "GET /items HTTP/1.1\r\nHost: x\r\n";
    expect(await trickle(url, head, { everyMs: 300, pieces: [..."X-N: n\r\n"], repeat: true })).toBeUndefined();
    expect(upstream.seen).toEqual([]);
  });

  it("leaving its head unfinished is cut after client_header_timeout", async () => {
    const { url, upstream } = await startEdge({ NGINX_CLIENT_HEADER_TIMEOUT: "1s" });
    const answer = await rawRequest(url, Buffer.from("GET /items HTTP/1.1\r\nHost: x\r\n"), { timeoutMs: 10_000 });
    expect(answer).toBeUndefined();
    expect(upstream.seen).toEqual([]);
  });

  it("an SSE stream idle between heartbeats outlives send_timeout", async () => {
    // Heartbeats twice as far apart as send_timeout: only a stalled write would trip it.
    const { url } = await startEdge({ NGINX_SEND_TIMEOUT: "1s" }, { heartbeatMs: 2_000 });
    const response = await fetch(`${url}/async/events`, { headers: { accept: "text/event-stream" } });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      while ((text.match(/: heartbeat/g) ?? []).length < 3) {
        const { value, done } = await reader.read();
        expect(done, `the stream ended after ${JSON.stringify(text)}`).toBe(false);
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      await reader.cancel();
    }
  });
});

withNginx("a body larger than client_max_body_size, though bodies stream to the app", () => {
  it("is the 413 problem: announced by Content-Length, or found chunk by chunk", async () => {
    const { url } = await startEdge({ BODY_LIMIT: "1k" });
    const head = "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n";
    const chunk = `400\r\n${"a".repeat(0x400)}\r\n`;
    const bodies = {
      "Content-Length": `Content-Length: 2048\r\n\r\n${"a".repeat(2048)}`,
      chunked: `Transfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`,
    };
    for (const [framing, rest] of Object.entries(bodies)) {
      const answer = await rawRequest(url, Buffer.from(head + rest));
      expect(expectProblem(answer, 413).title, framing).toBe("Content Too Large");
    }
  });
});

withNginx("a kept-alive upstream connection the app closes under a request", () => {
  // A draining app closing an idle connection just as nginx sent a request on it (the stand-in
  // drops /drop-kept-alive on a reused connection). The same with request buffering on or off.
  it("a request without a body is retried on a fresh connection: the client gets the answer", async () => {
    const { url, upstream } = await startEdge({});
    expect((await rawRequest(url, { method: "GET", target: "/items" }))?.status).toBe(200);
    expect((await rawRequest(url, { method: "GET", target: "/drop-kept-alive" }))?.status).toBe(200);
    expect(upstream.seen.filter((line) => line.startsWith("GET /drop-kept-alive"))).toHaveLength(2);
  });

  it("a POST is not retried (nginx never replays a non-idempotent request): a 502 problem", async () => {
    const { url, upstream } = await startEdge({});
    expect((await rawRequest(url, { method: "GET", target: "/items" }))?.status).toBe(200);
    const headers: [string, string][] = [["Content-Type", "application/json"]];
    const answer = await rawRequest(url, { method: "POST", target: "/drop-kept-alive", headers, body: "{}" });
    expect(expectProblem(answer, 502).title).toBe("Bad Gateway");
    expect(upstream.seen.filter((line) => line.startsWith("POST /drop-kept-alive"))).toHaveLength(1);
  });
});

withNginx("per-client limits", () => {
  it("past N requests in progress (an SSE stream and a WebSocket among them) a 429 problem; the first N work", async () => {
    const { url, upstream } = await startEdge({ NGINX_CONN_PER_CLIENT: "4" });
    const open: Socket[] = [];
    try {
      // One browser tab's long-lived pair, and two requests the app is still answering.
      const sse = await openHeld(url, "GET /async/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
      const ws = await openHeld(
        url,
        "GET /async/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      open.push(sse.socket, ws.socket);
      expect(sse.head).toMatch(/^HTTP\/1\.1 200 /);
      expect(ws.head).toMatch(/^HTTP\/1\.1 101 /);
      const { hostname, port } = new URL(url);
      for (let i = 0; i < 2; i++) {
        const socket = connect(Number(port), hostname, () => socket.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
        socket.on("error", () => {});
        open.push(socket);
      }
      await waitFor("both held requests to reach the app", async () => upstream.held.length === 2 || undefined);

      const refused = await rawRequest(url, { method: "GET", target: "/items" });
      expect(expectProblem(refused, 429).detail).toBe("Too many connections from this client at once");
      expect(refused?.headers["retry-after"]).toBe("1");

      // The held ones answered: room again.
      for (const response of upstream.held.splice(0)) response.end("done");
      const again = await waitFor("a request to get through again", async () => {
        const answer = await rawRequest(url, { method: "GET", target: "/items" });
        return answer?.status === 200 ? answer : undefined;
      });
      expect(again.headers["retry-after"]).toBeUndefined();
    } finally {
      for (const socket of open) socket.destroy();
    }
  });

  it("a burst above the rate gets 429 problems with Retry-After, then requests succeed again", async () => {
    const { url } = await startEdge({ NGINX_RATE_PER_CLIENT: "1r/s", NGINX_RATE_BURST: "3" });
    const statuses: number[] = [];
    let refused: RawResponse | undefined;
    for (let i = 0; i < 12; i++) {
      const answer = await rawRequest(url, { method: "GET", target: "/items" });
      statuses.push(answer?.status ?? 0);
      if (answer?.status === 429) refused ??= answer;
    }
    // The burst (3) is taken at once (the rate's own slot went to the readiness probe); past it, refused.
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    expect(expectProblem(refused, 429).detail).toBe("Too many requests from this client");
    expect(refused?.headers["retry-after"]).toBe("1");
    await waitFor("the rate to let a request through again", async () => {
      const answer = await rawRequest(url, { method: "GET", target: "/items" });
      return answer?.status === 200 || undefined;
    });
  });

  it("an app's own 429 passes untouched: its Retry-After, no proxy's one added", async () => {
    const { url } = await startEdge({});
    const answer = await rawRequest(url, { method: "GET", target: "/app-429" });
    expect(answer?.status).toBe(429);
    expect(answer?.headers["retry-after"]).toBe("7");
  });
});

/**
 * An address whose connections never complete: a listener, stopped (SIGSTOP) once its accept
 * queue is full, so the kernel drops every further SYN and a connect times out.
 */
async function startBlackHole(): Promise<{ address: string; close(): void }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      "require('net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () { console.log(this.address().port) })",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill("SIGSTOP");
  // A backlog of 1 queues two handshakes: these, which nobody accepts.
  const fillers = [0, 1, 2].map(() => connect(port, "127.0.0.1").on("error", () => {}));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    address: `127.0.0.1:${port}`,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill("SIGKILL");
      child.kill("SIGCONT");
    },
  };
}

withNginx("nginx's own 502 and 504 for the status endpoint", () => {
  // As its contract declares them (UpstreamProblem): with `upstreams`, empty, since async-api,
  // which asks them, was never reached.
  it("is a 502 UpstreamProblem with upstreams: [] when async-api is unreachable; other paths' 502s have none", async () => {
    const { url, upstream } = await startEdge({});
    await upstream.close();
    const status = await rawRequest(url, { method: "GET", target: "/async/status" });
    expectProblem(status, 502);
    expect(UpstreamProblem.parse(JSON.parse(status?.text ?? "")).upstreams).toEqual([]);
    const withQuery = await rawRequest(url, { method: "GET", target: "/async/status?x=1" });
    expectProblem(withQuery, 502);
    expect(JSON.parse(withQuery?.text ?? "")).toHaveProperty("upstreams", []);
    for (const target of ["/async/statuses", "/async/healthz", "/items"]) {
      const other = await rawRequest(url, { method: "GET", target });
      expectProblem(other, 502);
      expect(JSON.parse(other?.text ?? ""), target).not.toHaveProperty("upstreams");
    }
  });

  it("is a 504 UpstreamProblem with upstreams: [] when async-api does not answer in time", async () => {
    const hole = await startBlackHole();
    try {
      const { url } = await startEdge({ ASYNC_API_UPSTREAM: hole.address });
      // proxy_connect_timeout (5 s), for the server and then its backup.
      const answer = await rawRequest(url, { method: "GET", target: "/async/status" }, { timeoutMs: 30_000 });
      expectProblem(answer, 504);
      expect(UpstreamProblem.parse(JSON.parse(answer?.text ?? "")).upstreams).toEqual([]);
    } finally {
      hole.close();
    }
  }, 40_000);
});

/** A token the logs must never show, and every spelling of its key the apps' query parser reads as `access_token`. */
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2ctdGVzdCJ9.c2lnbmF0dXJl";
const TOKEN_KEYS = ["access_token", "access%5Ftoken", "%61ccess_token", "%61%63%63%65%73%73%5f%74%6f%6b%65%6e"];

/** The access log's lines so far for requests whose path starts with `path`, once there are `count`. */
function accessLines(path: string, count: number): Promise<string[]> {
  return waitFor(`${count} access lines for ${path}`, async () => {
    const found = readFileSync(running?.nginx.accessLog ?? "", "utf8")
      .split("\n")
      .filter((line) => line.includes(`"GET ${path}`));
    return found.length >= count ? found : undefined;
  });
}

withNginx("nginx's access log", () => {
  it("redacts the key the apps redact: ACCESS_TOKEN_KEY's pattern, as is", () => {
    expect(readFileSync(NGINX_TEMPLATE, "utf8")).toContain(`\\?(?:.*?&)?${ACCESS_TOKEN_KEY.source}=)`);
  });

  it("has a line per request, with a bearer token given as ?access_token= written as [redacted]", async () => {
    const { url } = await startEdge({});
    expect((await rawRequest(url, { method: "GET", target: `/items?limit=1&access_token=${TOKEN}&x=2` }))?.status).toBe(
      200,
    );
    expect((await rawRequest(url, { method: "GET", target: `/async/socket?access_token=${TOKEN}` }))?.status).toBe(200);
    const lines = [...(await accessLines("/items?", 1)), ...(await accessLines("/async/socket?", 1))];
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines[0]).toContain('"GET /items?limit=1&access_token=[redacted]&x=2 HTTP/1.1" 200');
    expect(lines[1]).toContain('"GET /async/socket?access_token=[redacted] HTTP/1.1" 200');
  });

  it("redacts every spelling of the key the apps read as access_token, and every token of a repeated key", async () => {
    const { url } = await startEdge({});
    const targets = [
      ...TOKEN_KEYS.map((key) => `/async/status?${key}=${TOKEN}&x=1`),
      `/async/status?a=1&access_token=${TOKEN}&ACCESS%5fTOKEN=${TOKEN}&b=2`,
    ];
    for (const target of targets) expect((await rawRequest(url, { method: "GET", target }))?.status).toBe(200);
    const lines = await accessLines("/async/status?", targets.length);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines[1]).toContain('"GET /async/status?access%5Ftoken=[redacted]&x=1 HTTP/1.1" 200');
  });
});

/** Everything nginx wrote to its error log (its stderr here), read whole: nginx is stopped first. */
async function wholeErrorLog(): Promise<string> {
  const nginx = running?.nginx;
  if (!nginx) throw new Error("no nginx running");
  const stderr = nginx.child.stderr;
  const closed = !stderr || stderr.closed ? Promise.resolve() : once(stderr, "close");
  await nginx.stop("SIGQUIT");
  await closed;
  return nginx.output();
}

withNginx("nginx's error log", () => {
  // What the error log would write (the raw request line, token and all) is kept out of it; the
  // access log carries the fact instead: the upstream's status, or which limit refused.
  it("says nothing of a request whose upstream is unreachable; the access log has its 502", async () => {
    const { url, upstream } = await startEdge({});
    await upstream.close();
    for (const key of TOKEN_KEYS) {
      const answer = await rawRequest(url, { method: "GET", target: `/async/events?${key}=${TOKEN}` });
      expect(expectProblem(answer, 502).title).toBe("Bad Gateway");
    }
    const lines = await accessLines("/async/events?", TOKEN_KEYS.length);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines[0]).toMatch(
      /"GET \/async\/events\?access_token=\[redacted\] HTTP\/1\.1" 502 .* upstream=127\.0\.0\.1:\d+/,
    );
    const errorLog = await wholeErrorLog();
    expect(errorLog).not.toContain(TOKEN);
    expect(errorLog).not.toContain("access_token");
  });

  it("says nothing of requests over the rate limit; the access log names the limit", async () => {
    const { url } = await startEdge({ NGINX_RATE_PER_CLIENT: "1r/s", NGINX_RATE_BURST: "1" });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await rawRequest(url, { method: "GET", target: `/items?access_token=${TOKEN}` });
      statuses.push(answer?.status ?? 0);
    }
    expect(statuses).toContain(429);
    const lines = await accessLines("/items?", statuses.length);
    expect(await wholeErrorLog()).not.toContain(TOKEN);
    expect(lines.find((line) => line.includes('" 429 '))).toMatch(/limit_req=REJECTED/);
    expect(lines.join("\n")).not.toContain(TOKEN);
  });

  it("says nothing of requests over the connection limit; the access log names the limit", async () => {
    const { url, upstream } = await startEdge({ NGINX_CONN_PER_CLIENT: "1" });
    const { hostname, port } = new URL(url);
    const held = connect(Number(port), hostname, () => held.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
    held.on("error", () => {});
    try {
      await waitFor("the held request to reach the app", async () => upstream.held.length === 1 || undefined);
      const refused = await rawRequest(url, { method: "GET", target: `/items?access_token=${TOKEN}` });
      expect(expectProblem(refused, 429).detail).toBe("Too many connections from this client at once");
      const [line] = await accessLines("/items?", 1);
      expect(line).toMatch(/" 429 .*limit_conn=REJECTED/);
      expect(line).not.toContain(TOKEN);
    } finally {
      held.destroy();
    }
    expect(await wholeErrorLog()).not.toContain(TOKEN);
  });

  it("says nothing when its worker_connections run out (streams hold two each); the access log has the 500", async () => {
    // 100, less the listener and the readiness probe's idle upstream connection: the last
    // stream's client connection fits and its upstream one does not, which nginx reports as an
    // alert naming the request (with one more or less, the client connection itself is refused).
    const workerConnections = 100;
    const { url } = await startEdge(ONE_CLIENT_LOAD_LIMITS, {}, { workerConnections });
    const { hostname, port } = new URL(url);
    const open: Socket[] = [];
    let refused: string | undefined;
    try {
      while (refused === undefined && open.length < workerConnections) {
        const socket = connect(Number(port), hostname);
        socket.on("error", () => {});
        open.push(socket);
        socket.write(`GET /async/events?access_token=${TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const [head] = await Promise.race([
          once(socket, "data"),
          once(socket, "close").then(() => [Buffer.from("closed")]),
        ]);
        if (!String(head).startsWith("HTTP/1.1 200")) refused = String(head);
      }
      // Two connections a stream, less the listener and an idle kept-alive upstream connection or so.
      expect(open.length - 1).toBeGreaterThanOrEqual((workerConnections - 1 - 32) / 2);
      expect(refused).toMatch(/^HTTP\/1\.1 500 /);
      expect(refused).toContain("application/problem+json");
      const [line] = await accessLines("/async/events?", 1);
      expect(line).toMatch(/" 500 .* upstream= /);
      expect(line).not.toContain(TOKEN);
    } finally {
      for (const socket of open) socket.destroy();
    }
    expect(await wholeErrorLog()).not.toContain(TOKEN);
  });
});
