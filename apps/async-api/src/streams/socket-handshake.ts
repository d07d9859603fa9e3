import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { PROBLEM_CONTENT_TYPE, problem, REQUEST_ID_HEADER } from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import type { WebSocketServer } from "ws";
import { sendProblem } from "../http/mount.ts";

/** ws's own test of a Sec-WebSocket-Key: 16 bytes in base64. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** The protocol versions ws speaks (RFC 6455's 13, and draft 8). */
const VERSIONS = new Set(["13", "8"]);

interface Refusal {
  readonly status: 400 | 426;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const UPGRADE_REQUIRED: Refusal = {
  status: 426,
  detail:
    "This path speaks WebSocket only: open it with a WebSocket handshake (Upgrade: websocket, Connection: Upgrade)",
  // RFC 9110 §15.5.22: a 426 names the protocol to switch to (and Upgrade goes with Connection:
  // upgrade). Closed after: a connection whose last answer said `Connection: upgrade` is one a
  // proxy should not hand the next request (the dev proxy's pool then answered it 502).
  headers: { upgrade: "websocket", connection: "upgrade, close" },
};

/**
 * Whether Node handed `request` to its 'upgrade' event (an Upgrade header with `Connection:
 * Upgrade`), whose socket no ServerResponse owns: set by Node's parser, not in its types.
 */
export function cameAsUpgrade(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { upgrade?: boolean }).upgrade === true;
}

/** Why `request` is not a WebSocket handshake ws would take, or undefined when it is one. */
export function handshakeRefusal(request: IncomingMessage): Refusal | undefined {
  const { upgrade, "sec-websocket-key": key, "sec-websocket-version": version } = request.headers;
  if (upgrade === undefined || request.method === "HEAD") return UPGRADE_REQUIRED;
  if (upgrade.toLowerCase() !== "websocket") {
    return { status: 400, detail: "Upgrade names a protocol this path does not speak: only websocket" };
  }
  // Node took its ordinary path: no `Connection: Upgrade`, so the socket cannot be handed over.
  if (!cameAsUpgrade(request)) return { status: 400, detail: "A WebSocket handshake needs Connection: Upgrade" };
  if (key === undefined || !KEY.test(key)) {
    return { status: 400, detail: "Sec-WebSocket-Key is missing or is not 16 bytes in base64" };
  }
  if (version === undefined || !VERSIONS.has(version)) {
    return {
      status: 400,
      detail: "Sec-WebSocket-Version is missing or not one this server speaks (13)",
      headers: { "sec-websocket-version": "13, 8" },
    };
  }
  return undefined;
}

/**
 * The WebSocket path answers what is not a handshake with a problem, not with @fastify/websocket's
 * empty 404 or ws's HTML 400: a GET without Upgrade (or a HEAD) is a 426, a handshake ws would
 * refuse a 400. Checked in `onRequest`, before the token and the stream limit. What ws still finds
 * wrong past these checks (a malformed Sec-WebSocket-Protocol) is a 400 problem written on the
 * socket: see `answerHandshakeErrors`.
 */
export function checkHandshakes(scope: FastifyInstance, path: string): void {
  scope.addHook("onRequest", (request, reply, done) => {
    if (request.routeOptions.url !== `${scope.prefix}${path}`) return done();
    // Any answer but the 101 ends the connection (@fastify/websocket destroys an upgrade's socket
    // once answered): say so, so that no proxy keeps it to reuse.
    if (cameAsUpgrade(request.raw)) reply.header("connection", "close");
    if (!["GET", "HEAD"].includes(request.method)) return done();
    const refusal = handshakeRefusal(request.raw);
    if (!refusal) {
      requestIds.set(request.raw, request.id);
      return done();
    }
    if (refusal.headers) reply.headers(refusal.headers);
    sendProblem(request, reply, problem({ status: refusal.status, detail: refusal.detail }));
  });
}

/** Each handshake's request id, for an answer ws's `wsClientError` writes on the bare socket. */
const requestIds = new WeakMap<IncomingMessage, string>();

/** ws's refusals of a handshake (without a listener, an HTML 400) as problem+json answers. */
export function answerHandshakeErrors(server: WebSocketServer): void {
  server.on("wsClientError", (error: Error, socket: Duplex, request: IncomingMessage) => {
    const requestId = requestIds.get(request);
    const body = JSON.stringify({
      ...problem({ status: 400, detail: `Not a WebSocket handshake this server takes: ${error.message}` }),
      ...(requestId ? { requestId } : {}),
    });
    const head = [
      "HTTP/1.1 400 Bad Request",
      "Connection: close",
      `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...(requestId ? [`${REQUEST_ID_HEADER}: ${requestId}`] : []),
    ];
    socket.once("finish", () => socket.destroy());
    socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
  });
}
