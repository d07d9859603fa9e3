import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { PROBLEM_CONTENT_TYPE, problem } from "./problem.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.ts";
import { requestPath } from "./request-path.ts";

/** What Node's HTTP parser found wrong with a request, as the status to answer it with. */
const STATUS_OF: Readonly<Record<string, { status: number; detail: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: "The request's headers are too large" },
  HPE_INVALID_METHOD: { status: 501, detail: "The request's method is not one this server knows" },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: "The request did not arrive in time" },
  HPE_URI_TOO_LONG: { status: 414, detail: "The request's URL is too long" },
};

/**
 * A problem+json answer for a request Node's HTTP parser refused before any framework saw it
 * (bad framing, oversized headers, an unknown method, a request that never finished arriving):
 * the servers' `clientError` handler, so that these answers too are problem details, not Node's
 * bare `400 Bad Request`. Every such answer closes the connection: its framing cannot be trusted.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, detail } = STATUS_OF[error.code ?? ""] ?? { status: 400, detail: "The request is not valid HTTP" };
  refuseOnSocket(socket, status, detail);
}

/**
 * A raw problem+json answer on a socket no framework handles, closing it: for CONNECT, which
 * Node hands to its `connect` event (no listener: the connection just closes), and the like.
 */
export function refuseOnSocket(
  socket: Duplex,
  status: number,
  detail: string | { readonly type: string; readonly detail: string },
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(problem({ status, ...(typeof detail === "string" ? { detail } : detail) }));
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n${extra}` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The `connect` listener of every server here: this API tunnels nothing. */
export function refuseConnect(_req: unknown, socket: Duplex): void {
  refuseOnSocket(socket, 405, "CONNECT is not supported: this API tunnels nothing");
}

/**
 * Is this request a WebSocket opening handshake (GET, `websocket` among its Upgrade protocols)?
 * The servers' `shouldUpgradeCallback`: Node hands any request with `Connection: Upgrade` to the
 * 'upgrade' event by default and never reads its connection again; every other Upgrade (`h2c`,
 * `foo`) is served as an ordinary request, so the connection stays usable.
 */
export function isWebSocketHandshake(req: {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}): boolean {
  // Most requests carry no Upgrade: answered without a split (every request asks).
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || req.method !== "GET") return false;
  return upgrade.split(",").some((protocol) => protocol.trim().toLowerCase() === "websocket");
}

/**
 * The `checkExpectation` listener of every server here: an `Expect` Node cannot meet (anything but
 * `100-continue`) is a 417 problem with the request id, not Node's empty 417.
 */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  const detail = "Only Expect: 100-continue is supported";
  res.writeHead(417, { "content-type": PROBLEM_CONTENT_TYPE, [REQUEST_ID_HEADER]: requestId });
  res.end(JSON.stringify(problem({ status: 417, detail, instance: requestPath(req.url ?? "/"), requestId })));
}

/** How many Host headers a request has: Node keeps the first of several, nginx refuses them. */
export function hostHeaderCount(req: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === "host") count++;
  return count;
}
