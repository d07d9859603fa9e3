/**
 * `pnpm bench`: does blocking work in sync-api leave async-api's event loop alone?
 *
 * Starts both apps from source, then measures async-api's WebSocket round trips and its SSE
 * heartbeat intervals twice: at rest, and while autocannon saturates every sync-api worker with
 * CPU-bound requests (`/compute/primes`). Prints the figures; asserts nothing (tests do not time
 * things, benchmarks do).
 */
import { mkdtempSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, readSse, startApp, stopAll, waitForHttp } from "@repo/testing";
import autocannon from "autocannon";
import WebSocket from "ws";

const HEARTBEAT_MS = 100;
const ROUND_TRIPS = 300;
const HEARTBEATS = 40;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const summary = (values: number[]) => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: Math.max(...values),
});

async function roundTrips(url: string): Promise<number[]> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      socket.once("message", () => resolve());
      socket.send(JSON.stringify({ type: "echo", text: `#${i}` }));
    });
    times.push(performance.now() - started);
  }
  socket.close();
  return times;
}

async function heartbeatIntervals(url: string): Promise<number[]> {
  const stop = new AbortController();
  const gaps: number[] = [];
  let last: number | undefined;
  for await (const message of readSse(url, { signal: stop.signal })) {
    if (message.comment !== "heartbeat") continue;
    const now = performance.now();
    if (last !== undefined) gaps.push(now - last);
    last = now;
    if (gaps.length >= HEARTBEATS) stop.abort();
  }
  return gaps;
}

async function measure(asyncUrl: string) {
  const [rtt, gaps] = await Promise.all([
    roundTrips(`${asyncUrl.replace("http", "ws")}/ws`),
    heartbeatIntervals(`${asyncUrl}/events/notes`),
  ]);
  return { rtt: summary(rtt), heartbeat: summary(gaps) };
}

const format = (s: { p50: number; p99: number; max: number }) =>
  `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`;

try {
  const [syncPort, asyncPort] = await Promise.all([freePort(), freePort()]);
  const workers = availableParallelism();
  const sync = startApp("sync-api", {
    env: {
      NODE_ENV: "production",
      SYNC_API_SECRET_KEY: "bench-only-secret-key-0123456789abcdef",
      SYNC_API_PORT: String(syncPort),
      SYNC_API_WORKERS: String(workers),
      SYNC_API_LOG__LEVEL: "warn",
      SYNC_API_DATABASE__PATH: join(mkdtempSync(join(tmpdir(), "bench-")), "notes.sqlite"),
    },
  });
  const async = startApp("async-api", {
    env: {
      NODE_ENV: "production",
      ASYNC_API_SECRET_KEY: "bench-only-secret-key-0123456789abcdef",
      ASYNC_API_PORT: String(asyncPort),
      ASYNC_API_LOG__LEVEL: "warn",
      ASYNC_API_SSE__HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      ASYNC_API_UPSTREAMS: JSON.stringify({
        "sync-api": { url: `http://127.0.0.1:${syncPort}`, statusPath: "/readyz" },
      }),
    },
  });
  const syncUrl = `http://127.0.0.1:${syncPort}`;
  const asyncUrl = `http://127.0.0.1:${asyncPort}/async`;
  await waitForHttp(`${syncUrl}/healthz`, { abortIf: sync.exitReason });
  await waitForHttp(`${asyncUrl}/healthz`, { abortIf: async.exitReason });

  const rest = await measure(asyncUrl);

  // Every sync-api worker busy with a sieve (about 10 ms of CPU per request), all the time.
  const load = autocannon({
    url: `${syncUrl}/compute/primes?below=2000000`,
    connections: workers * 4,
    duration: 60,
  }) as unknown as Promise<autocannon.Result> & { stop(): void };
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const saturated = await measure(asyncUrl);
  load.stop();
  const result = await load;

  console.log(
    `\nmachine: ${availableParallelism()} cores; sync-api: ${workers} workers; SSE heartbeat every ${HEARTBEAT_MS} ms\n`,
  );
  console.log(
    `sync-api under load: ${Math.round(result.requests.average)} CPU-bound requests/s, p99 ${result.latency.p99} ms, ${result.errors} errors`,
  );
  console.log("");
  console.log(
    "async-api                       at rest                                     while sync-api is saturated",
  );
  console.log(`WebSocket echo round trip       ${format(rest.rtt).padEnd(44)}${format(saturated.rtt)}`);
  console.log(`SSE heartbeat interval          ${format(rest.heartbeat).padEnd(44)}${format(saturated.heartbeat)}`);
  console.log("");
} finally {
  await stopAll();
}
