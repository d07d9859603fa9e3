import { Agent, createServer, type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import {
  answerClientError,
  BODY_PROBLEM_DETAIL,
  hostHeaderCount,
  isCanonicalPath,
  isParseableTarget,
  isWebSocketHandshake,
  NON_CANONICAL_PATH_DETAIL,
  NON_CANONICAL_PATH_PROBLEM_TYPE,
  PROBLEM_CONTENT_TYPE,
  problem,
  problemForRequest,
  REQUEST_ID_HEADER,
  refuseConnect,
  refuseExpectation,
  refuseOnSocket,
  requestIdFrom,
  requestPath,
  UNPARSEABLE_TARGET_DETAIL,
} from "@repo/contracts";
import { createProxyServer } from "http-proxy-3";
import { hasBody, IDEMPOTENT, KEPT_BODY_MAX_BYTES, type RestartHold } from "./restart-hold.ts";

export interface ProxyOptions {
  /** Requests under this prefix (and WebSocket upgrades there) go to async-api. */
  readonly asyncPrefix: string;
  readonly syncTarget: string;
  readonly asyncTarget: string;
  /**
   * Largest request body each app takes (its `http.bodyLimitBytes`). A larger declared body gets
   * the 413 here, as nginx's `client_max_body_size` does, instead of racing the app's early 413
   * against the proxy still sending the body (which would surface as a 502).
   */
  readonly bodyLimitBytes?: { readonly sync: number; readonly async: number };
  /** The API's internal endpoints (`internalPaths` of the contracts): refused with a 404 problem. */
  readonly internalPaths?: readonly RegExp[];
  /** Called when an upstream cannot be reached; the client gets a 502 problem. */
  readonly onUpstreamError?: (error: Error, upstream: "sync-api" | "async-api", url: string) => void;
  /**
   * Paths whose 502 is an UpstreamProblem (the status endpoint's): the proxy's own 502 there says
   * `upstreams: []`, no upstream having been asked, as nginx's template says it too.
   */
  readonly upstreamProblemPaths?: readonly string[];
  /** Requests wait for an app its watcher is restarting instead of failing (restart-hold.ts). */
  readonly restartHold?: RestartHold;
}

/** The 400 for two Host headers, which nginx refuses too. */
const TWO_HOSTS_DETAIL = "The request has more than one Host header";

/** The 400 of a path not in canonical form, as nginx's template says it too. */
const NON_CANONICAL = { type: NON_CANONICAL_PATH_PROBLEM_TYPE, detail: NON_CANONICAL_PATH_DETAIL } as const;

/**
 * Does a request belong to the async app? `/async` and `/async/...`, not `/asyncfoo`. Decided on
 * the path as it is forwarded, which the routing rule (`isCanonicalPath`, checked first) makes the
 * same as the path nginx routes on.
 */
export function isAsyncPath(url: string, asyncPrefix: string): boolean {
  const path = requestPath(url);
  return path === asyncPrefix || path.startsWith(`${asyncPrefix}/`);
}

/** Is this request for an internal endpoint? Matched on the path as forwarded, as routing is. */
function isInternal(url: string, internalPaths: readonly RegExp[]): boolean {
  const path = requestPath(url);
  return internalPaths.some((pattern) => pattern.test(path));
}

/**
 * Prepares a request for an upstream as nginx does in production: the request id is kept if the
 * client sent a sane one and made otherwise, and X-Forwarded-* come from this proxy alone.
 */
function prepare(req: IncomingMessage): string {
  const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  req.headers[REQUEST_ID_HEADER] = id;
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith("x-forwarded-")) delete req.headers[name];
  }
  return id;
}

interface KeptBody {
  readonly chunks: Buffer[];
  /** Settles once the client has sent the whole body (or left). */
  readonly ended: Promise<void>;
  /** Is the whole body here, to send again? */
  complete(): boolean;
}

/**
 * A copy of a request body as it is read (up to KEPT_BODY_MAX_BYTES), to send again. Attached in
 * the tick the proxy's own pipe is (or before anything reads the body), so it sees every chunk.
 */
function keepBody(req: IncomingMessage): KeptBody {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let whole = true;
  const ended = new Promise<void>((resolve) => {
    req.once("end", resolve);
    req.once("close", resolve);
  });
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > KEPT_BODY_MAX_BYTES) whole = false;
    else chunks.push(chunk);
  });
  return { chunks, ended, complete: () => whole && req.complete };
}

/**
 * Can a request whose connection to the app was reset before any answer be sent again? A worker
 * killed, or closing a kept-alive connection the proxy had just reused, or a connection it had
 * accepted but not read: the app may or may not have had it. An idempotent request without a body
 * may be sent twice (RFC 9110, 9.2.2), so it is sent again at once, once, on a fresh connection, as
 * nginx's `proxy_next_upstream error` does; a POST is not: it may have been read before the reset.
 */
function canResendAfterReset(error: Error, req: IncomingMessage): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (code === "ECONNRESET" || code === "EPIPE") && IDEMPOTENT.has(req.method ?? "") && !hasBody(req);
}

/** Closes the agent's idle kept-alive connections to the app at the other end of `socket`. */
function closeIdleConnectionsTo(agent: Agent, socket: Socket): void {
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const idle of sockets ?? []) {
      if (idle.remotePort === socket.remotePort && idle.remoteAddress === socket.remoteAddress) idle.destroy();
    }
  }
}

/**
 * The client's connection options are this hop's, not the app's (RFC 9110, 7.6.1): the request
 * to the app has the agent's own, as nginx sets its own. A client's `Connection: close` passed on
 * made the app close the upstream connection after an early answer (a 401 before a large body
 * was read) while the body was still being written, and that EPIPE lost the answer to a false
 * 502. An Upgrade that is not a WebSocket handshake (`h2c`, anything else) is served as plain
 * HTTP/1.1, so it is not passed on either.
 */
function dropHopByHop(req: IncomingMessage): void {
  for (const name of ["connection", "keep-alive", "proxy-connection", "upgrade", "http2-settings"])
    delete req.headers[name];
}

/** The proxy's own answers are problem details too, with the request id, as nginx's are (and no bearer token). */
function sendProblem(
  res: ServerResponse,
  fields: Parameters<typeof problem>[0] & { requestId: string },
  members: Record<string, unknown> = {},
): void {
  res.writeHead(fields.status, { "content-type": PROBLEM_CONTENT_TYPE, [REQUEST_ID_HEADER]: fields.requestId });
  res.end(JSON.stringify({ ...problemForRequest(problem(fields), undefined, fields.requestId), ...members }));
}

/**
 * The one-origin proxy: `asyncPrefix/*` to async-api, WebSocket upgrades included, and everything
 * else to sync-api. The routing is the nginx template's, so tests can hold the two to each other.
 */
export function createDevProxy(options: ProxyOptions): Server {
  // Keep-alive to the upstreams, as nginx's `keepalive` upstreams do.
  const agent = new Agent({ keepAlive: true });
  const proxy = createProxyServer({ xfwd: true, ws: true, agent });
  // What http-proxy-3 reports on its own event rather than to a request's callback: a client
  // socket's error under a WebSocket tunnel (a browser tab gone, a connection reset). With no
  // listener it throws, taking the proxy down; the client is gone, so close what is left.
  proxy.on("error", (_error, _req, res) => {
    if (!(res instanceof ServerResponse)) res.destroy();
  });
  // The app's connection options are the upstream hop's too: the client's answer says what Node
  // decided from the client's request (a `Connection: close` honoured), not the app's keep-alive.
  proxy.on("proxyRes", (proxyRes, req, res) => {
    const upstream = upstreamOf(req.url ?? "/");
    options.restartHold?.answered(upstream.target);
    // An app answers `Connection: close` while it drains, and will soon close its idle connections
    // and its listening socket: a request sent on one just then would meet the reset (a write could
    // not be sent again). So its idle connections are closed now, and, while an app may be
    // restarting, its next requests wait for the process that replaces it.
    if (proxyRes.headers.connection?.toLowerCase() === "close") {
      closeIdleConnectionsTo(agent, proxyRes.socket);
      options.restartHold?.draining(upstream.target, upstream.name);
    }
    delete proxyRes.headers["keep-alive"];
    proxyRes.headers.connection = res instanceof ServerResponse && !res.shouldKeepAlive ? "close" : "keep-alive";
  });

  const upstreamOf = (url: string) =>
    isAsyncPath(url, options.asyncPrefix)
      ? { name: "async-api" as const, target: options.asyncTarget, bodyLimit: options.bodyLimitBytes?.async }
      : { name: "sync-api" as const, target: options.syncTarget, bodyLimit: options.bodyLimitBytes?.sync };

  // Node answers a missing Host with a bare 400 of its own; this server says it as a problem.
  // Only WebSocket handshakes go to 'upgrade' (and on to an app); Node would hand it every
  // request with `Connection: Upgrade`, and the tunnel pass drops those without an answer.
  const server = createServer({ requireHostHeader: false, shouldUpgradeCallback: isWebSocketHandshake }, (req, res) => {
    const id = prepare(req);
    dropHopByHop(req);
    if (!req.headers.host && req.httpVersion === "1.1") {
      sendProblem(res, { status: 400, detail: "The request has no Host header", instance: req.url, requestId: id });
      return;
    }
    // Node keeps the first of several and would pass that on; nginx refuses them: so here.
    if (hostHeaderCount(req) > 1) {
      sendProblem(res, { status: 400, detail: TWO_HOSTS_DETAIL, requestId: id });
      return;
    }
    // http-proxy-3 makes a URL of the target: one that is none threw, and took the proxy down.
    if (!isParseableTarget(req.url ?? "/")) {
      sendProblem(res, { status: 400, detail: UNPARSEABLE_TARGET_DETAIL, requestId: id });
      return;
    }
    if (!isCanonicalPath(req.url ?? "/")) {
      sendProblem(res, { status: 400, ...NON_CANONICAL, requestId: id });
      return;
    }
    if (isInternal(req.url ?? "/", options.internalPaths ?? [])) {
      // As if it did not exist: the same 404 problem an app gives for an unknown path.
      const path = req.url?.split("?", 1)[0];
      sendProblem(res, { status: 404, detail: `No route for ${req.method} ${path}`, instance: req.url, requestId: id });
      return;
    }
    const upstream = upstreamOf(req.url ?? "/");
    const declared = Number(req.headers["content-length"] ?? 0);
    if (upstream.bodyLimit !== undefined && declared > upstream.bodyLimit) {
      // Answer now; Node reads and discards the rest of the body, so the client can finish
      // sending and read this.
      sendProblem(res, { status: 413, detail: BODY_PROBLEM_DETAIL.tooLarge, instance: req.url, requestId: id });
      return;
    }
    const hold = options.restartHold;
    const fail = (error: Error) => {
      options.onUpstreamError?.(error, upstream.name, req.url ?? "/");
      if (!(res instanceof ServerResponse) || res.headersSent) {
        res.destroy();
        return;
      }
      const upstreamProblem = options.upstreamProblemPaths?.includes(requestPath(req.url ?? "/"));
      sendProblem(
        res,
        { status: 502, detail: `${upstream.name} is not reachable`, instance: req.url, requestId: id },
        upstreamProblem ? { upstreams: [] } : {},
      );
    };
    // While an app may be restarting, a copy of the body is kept, to send again should it be refused.
    let kept: KeptBody | undefined;
    /**
     * Forwards, or, while the app restarts, waits for it first (once more after a retryable
     * failure); an idempotent one reset before any answer is sent again at once, once.
     */
    const forward = (afterWait: boolean, afterReset = false) => {
      if (res.destroyed) return; // the client left while it waited
      const body = afterWait && kept ? { buffer: Readable.from(kept.chunks) } : {};
      proxy.web(req, res, { target: upstream.target, ...body }, (error: Error) => {
        if (res.headersSent) fail(error);
        else if (!afterReset && canResendAfterReset(error, req)) forward(afterWait, true);
        else if (hold && !afterWait && hold.canRetry(error, req, kept?.complete() ?? false)) waitThenForward(error);
        else fail(error);
      });
      // After the proxy's pipe, in the same tick: both see every chunk.
      if (!afterWait && hold && hasBody(req)) kept = keepBody(req);
    };
    const waitThenForward = (error: Error) => {
      void Promise.all([hold?.waitUntilBack(upstream.target, upstream.name), kept?.ended]).then(([back]) =>
        back && (!kept || kept.complete()) ? forward(true) : fail(error),
      );
    };
    if (hold?.isDown(upstream.target)) {
      if (hasBody(req)) kept = keepBody(req);
      waitThenForward(new Error(`${upstream.name} did not come back in time`));
    } else forward(false);
  });

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    prepare(req);
    if (hostHeaderCount(req) > 1) {
      refuseOnSocket(socket, 400, TWO_HOSTS_DETAIL);
      return;
    }
    if (!isParseableTarget(req.url ?? "/")) {
      refuseOnSocket(socket, 400, UNPARSEABLE_TARGET_DETAIL);
      return;
    }
    if (!isCanonicalPath(req.url ?? "/")) {
      refuseOnSocket(socket, 400, NON_CANONICAL);
      return;
    }
    if (isInternal(req.url ?? "/", options.internalPaths ?? [])) {
      refuseOnSocket(socket, 404, "No such route");
      return;
    }
    const upstream = upstreamOf(req.url ?? "/");
    proxy.ws(req, socket, head, { target: upstream.target }, (error: Error) => {
      options.onUpstreamError?.(error, upstream.name, req.url ?? "/");
      socket.destroy();
    });
  });

  // What Node's parser refuses before the proxy sees it: a problem, as nginx's own errors are.
  server.on("clientError", answerClientError);
  // An `Expect` Node cannot meet (anything but 100-continue): 417, said as a problem.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    prepare(req);
    refuseExpectation(req, res);
  });
  server.on("connect", (req: IncomingMessage, socket: Socket) => {
    if (!isCanonicalPath(req.url ?? "/")) refuseOnSocket(socket, 400, NON_CANONICAL);
    else if (isInternal(req.url ?? "/", options.internalPaths ?? [])) refuseOnSocket(socket, 404, "No such route");
    else refuseConnect(req, socket);
  });

  server.on("close", () => {
    proxy.close();
    agent.destroy();
  });
  return server;
}
