import { connect } from "node:net";

/** A request as bytes on the wire: what fetch and node:http refuse to send (bad framing, odd methods, raw paths). */
export interface RawRequestSpec {
  readonly method: string;
  /** The request target exactly as sent: no normalisation, no escaping. */
  readonly target: string;
  /** In order; a name may repeat. `Host` and `Connection: close` are added unless given. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
}

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  /** The status line and header block as received, for reports. */
  readonly head: string;
}

/** `spec` as HTTP/1.1 bytes, with Content-Length for a body unless the headers frame it already. */
export function requestBytes(spec: RawRequestSpec, host: string): Buffer {
  const headers = [...(spec.headers ?? [])];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has("host")) headers.unshift(["Host", host]);
  if (!has("connection")) headers.push(["Connection", "close"]);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  if (body && !has("content-length") && !has("transfer-encoding"))
    headers.push(["Content-Length", String(body.length)]);
  const head = `${spec.method} ${spec.target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body ?? Buffer.alloc(0)]);
}

/** The response in `data` once it is complete (framed by Content-Length, chunks or the connection's end). */
function parse(data: Buffer, ended: boolean, noBody: boolean): RawResponse | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", start);
    if (end < 0) return undefined;
    const head = data.subarray(start, end).toString("latin1");
    const [statusLine = "", ...lines] = head.split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const rest = data.subarray(end + 4);
    // An interim answer (100 Continue): the real one follows.
    if (status >= 100 && status < 200 && status !== 101) {
      start = end + 4;
      continue;
    }
    const done = (body: Buffer): RawResponse => ({ status, headers, body, text: body.toString("utf8"), head });
    if (noBody || status === 204 || status === 304) return done(Buffer.alloc(0));
    if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
      const chunks: Buffer[] = [];
      let at = 0;
      for (;;) {
        const lineEnd = rest.indexOf("\r\n", at);
        if (lineEnd < 0) return ended ? done(Buffer.concat(chunks)) : undefined;
        const size = Number.parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16);
        if (Number.isNaN(size) || size === 0) return done(Buffer.concat(chunks));
        if (rest.length < lineEnd + 2 + size + 2) return ended ? done(Buffer.concat(chunks)) : undefined;
        chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (rest.length >= length) return done(rest.subarray(0, length));
      return ended ? done(rest) : undefined;
    }
    return ended ? done(rest) : undefined;
  }
}

/**
 * Sends `request` (a spec, or bytes as they are) to `origin` on a fresh connection and resolves
 * with the first response, as soon as it is complete, or with undefined when the server closed
 * the connection without one. Fails if nothing complete arrives within `timeoutMs`.
 */
export async function rawRequest(
  origin: string,
  request: RawRequestSpec | Buffer,
  options: { timeoutMs?: number; noBody?: boolean } = {},
): Promise<RawResponse | undefined> {
  return (await rawRequestsOnOneConnection(origin, [request], options))[0];
}

/**
 * Sends `requests` one after another on one connection, each once the answer to the one before is
 * complete: what a keep-alive client (or a proxy reusing an upstream connection) does. A spec
 * without a Connection header is sent with `keep-alive`, the last one with `close`. Resolves with
 * the answers in order; undefined for a request the server closed the connection without
 * answering (and nothing is sent after it). Fails if an answer is neither complete nor the
 * connection closed within `timeoutMs`: a server that stopped reading the connection.
 */
export function rawRequestsOnOneConnection(
  origin: string,
  requests: readonly (RawRequestSpec | Buffer)[],
  { timeoutMs = 15_000, noBody }: { timeoutMs?: number; noBody?: boolean } = {},
): Promise<(RawResponse | undefined)[]> {
  const url = new URL(origin);
  const keptAlive = (spec: RawRequestSpec, last: boolean): RawRequestSpec =>
    last || spec.headers?.some(([name]) => name.toLowerCase() === "connection")
      ? spec
      : { ...spec, headers: [...(spec.headers ?? []), ["Connection", "keep-alive"]] };
  const bytesOf = (request: RawRequestSpec | Buffer, index: number) =>
    Buffer.isBuffer(request) ? request : requestBytes(keptAlive(request, index === requests.length - 1), url.host);
  const headOnly = (request: RawRequestSpec | Buffer | undefined) =>
    noBody ?? (request !== undefined && !Buffer.isBuffer(request) && request.method === "HEAD");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port || 80), url.hostname);
    const answers: (RawResponse | undefined)[] = [];
    let data = Buffer.alloc(0);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome) reject(outcome);
      else resolve(answers);
    };
    const seen = () => JSON.stringify(data.toString("latin1").slice(0, 300));
    const sendNext = () => {
      const index = answers.length;
      const request = requests[index];
      if (request === undefined) return finish(undefined);
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(new Error(`request ${index + 1}: no complete answer within ${timeoutMs} ms; got ${seen()}`)),
        timeoutMs,
      );
      socket.write(bytesOf(request, index));
    };
    const take = (ended: boolean) => {
      // A chunked body's last CRLF may come with the next answer's data: not part of it.
      const start = data.findIndex((byte) => byte !== 0x0d && byte !== 0x0a);
      data = start < 0 ? Buffer.alloc(0) : data.subarray(start);
      const response = parse(data, ended, headOnly(requests[answers.length]));
      if (!response) return false;
      answers.push(response);
      data = Buffer.alloc(0);
      return true;
    };
    const atEnd = () => {
      if (settled) return;
      if (data.length > 0 && !take(true)) return finish(new Error(`a truncated answer: ${seen()}`));
      while (answers.length < requests.length) answers.push(undefined);
      finish(undefined);
    };
    socket.on("connect", sendNext);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (take(false)) sendNext();
    });
    socket.on("end", atEnd);
    socket.on("close", atEnd);
    // A reset after the answer was written still leaves the answer; before it, none came.
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") atEnd();
      else finish(error);
    });
  });
}
