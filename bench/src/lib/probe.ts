/**
 * One request at a time on one kept-alive connection, each timed from writing the request to the
 * last byte of its answer: the latency a hop adds, with almost nothing of the client's own in it.
 * A raw socket and a minimal HTTP/1.1 reader (status line, Content-Length) rather than autocannon:
 * on this repository's machine autocannon's client saw about a millisecond more per request through
 * nginx at one connection than either this client or node:http's did, an artifact of the client.
 */
import { connect, type Socket } from "node:net";
import type { LoadResult } from "./load.ts";
import { percentile } from "./stats.ts";

const TIMEOUT_MS = 10_000;

interface Answer {
  readonly status: number;
  /** The server closes the connection after this answer (nginx does after `keepalive_requests`). */
  readonly close: boolean;
}

/** Sends `request` and resolves once the whole answer (its Content-Length) is in. */
function exchange(socket: Socket, request: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const done = (error?: Error, answer?: Answer) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", done);
      socket.off("close", onClose);
      if (error) reject(error);
      else resolve(answer as Answer);
    };
    const onClose = () => done(new Error("the connection closed before the answer was complete"));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = received.subarray(0, end).toString("latin1");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if (length === undefined) return done(new Error(`an answer without Content-Length:\n${head}`));
      if (received.length < end + 4 + Number(length)) return;
      done(undefined, { status: Number(head.slice(9, 12)), close: /\r\nconnection:\s*close/i.test(head) });
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    socket.on("data", onData);
    socket.once("error", done);
    socket.once("close", onClose);
    socket.write(request);
  });
}

function open(target: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sequential GETs of `url` for `seconds`; a new connection (not timed) when the server closes one. */
export async function probe(url: string, seconds: number): Promise<LoadResult> {
  const target = new URL(url);
  let socket = await open(target);
  const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
  const latencies: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const { status, close } = await exchange(socket, request);
      latencies.push(performance.now() - sent);
      if (status < 200 || status >= 300) non2xx++;
      if (close) {
        socket.destroy();
        socket = await open(target);
      }
    }
  } finally {
    socket.destroy();
  }
  if (non2xx > 0) throw new Error(`GET ${url}: ${non2xx} answers were not 2xx`);
  const elapsed = (performance.now() - started) / 1000;
  return {
    requestsPerSecond: latencies.length / elapsed,
    requests: latencies.length,
    seconds: elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: 0,
    non2xx,
  };
}
