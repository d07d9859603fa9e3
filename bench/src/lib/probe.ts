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

/** No answer within the time allowed. */
class NoAnswer extends Error {}

/** How long one HTTP answer or WebSocket echo may take before its probe ends (reported, not thrown). */
export const ANSWER_TIMEOUT_MS = 10_000;

/** One probe's samples, in milliseconds. */
export interface Sampled {
  readonly values: readonly number[];
  /** The probe reached its count (otherwise its time budget or a timeout ended it). */
  readonly complete: boolean;
  /** An answer did not come within ANSWER_TIMEOUT_MS, which ended the probe. */
  readonly timedOut: boolean;
}

/** Sends `request` and resolves once the whole answer (its Content-Length) is in. */
function exchange(socket: Socket, request: Buffer, timeoutMs: number): Promise<Answer> {
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
    const timer = setTimeout(() => done(new NoAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
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

export interface ProbeLimits {
  /** Stop sending after this long (a request in flight then still gets its answer). */
  readonly seconds: number;
  /** Stop after this many answers. */
  readonly maxRequests?: number;
  /** How long one answer may take (10 s by default); past it the probe ends, `timedOut`. */
  readonly timeoutMs?: number;
}

export interface Probed {
  /** Each answer's latency, in milliseconds, in order. */
  readonly latencies: readonly number[];
  readonly non2xx: number;
  readonly seconds: number;
  /** The last request got no answer within `timeoutMs`, which ended the probe. */
  readonly timedOut: boolean;
}

/**
 * Sequential GETs of `url` until `seconds` have passed or `maxRequests` were answered; a new
 * connection (not timed) when the server closes one. A request that gets no answer within
 * `timeoutMs` ends the probe with what was measured so far (`timedOut`).
 */
export async function probeLatencies(url: string, limits: ProbeLimits): Promise<Probed> {
  const { seconds, maxRequests = Number.POSITIVE_INFINITY, timeoutMs = TIMEOUT_MS } = limits;
  const target = new URL(url);
  let socket = await open(target);
  const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
  const latencies: number[] = [];
  let non2xx = 0;
  let timedOut = false;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    while (performance.now() < deadline && latencies.length < maxRequests) {
      const sent = performance.now();
      let answer: Answer;
      try {
        answer = await exchange(socket, request, timeoutMs);
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        timedOut = true;
        break;
      }
      latencies.push(performance.now() - sent);
      if (answer.status < 200 || answer.status >= 300) non2xx++;
      if (answer.close) {
        socket.destroy();
        socket = await open(target);
      }
    }
  } finally {
    socket.destroy();
  }
  return { latencies, non2xx, seconds: (performance.now() - started) / 1000, timedOut };
}

/** Sequential GETs of `url` for `seconds`, every one answered 2xx within 10 s or it throws. */
export async function probe(url: string, seconds: number): Promise<LoadResult> {
  const { latencies, non2xx, seconds: elapsed, timedOut } = await probeLatencies(url, { seconds });
  if (timedOut) throw new Error(`GET ${url}: no answer within ${TIMEOUT_MS} ms`);
  if (non2xx > 0) throw new Error(`GET ${url}: ${non2xx} answers were not 2xx`);
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
