/**
 * Does blocking work in sync-api leave async-api's event loop alone? Measures async-api's
 * WebSocket round trips and its SSE heartbeat intervals twice: at rest, and while autocannon
 * saturates every sync-api worker with CPU-bound requests (`/compute/primes`).
 */
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { readSse } from "@repo/testing";
import WebSocket from "ws";
import { fmt } from "../lib/format.ts";
import { startLoad } from "../lib/load.ts";
import type { Scenario } from "../lib/scenario.ts";
import { ready, startAsyncApi, startSyncApi } from "../lib/services.ts";
import { type Spread, spread } from "../lib/stats.ts";

const HEARTBEAT_MS = 100;
/** A sieve below two million: about 10 ms of CPU per request. */
const BELOW = 2_000_000;

async function roundTrips(url: string, count: number): Promise<number[]> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
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

async function heartbeatIntervals(url: string, count: number): Promise<number[]> {
  const stop = new AbortController();
  const gaps: number[] = [];
  let last: number | undefined;
  for await (const message of readSse(url, { signal: stop.signal })) {
    if (message.comment !== "heartbeat") continue;
    const now = performance.now();
    if (last !== undefined) gaps.push(now - last);
    last = now;
    if (gaps.length >= count) stop.abort();
  }
  return gaps;
}

export const isolation: Scenario = {
  name: "isolation",
  title: "Isolation: async-api while sync-api is saturated",
  async run(context) {
    const roundTripCount = context.quick ? 100 : 300;
    const heartbeatCount = context.quick ? 10 : 40;
    const workers = availableParallelism();
    const sync = await startSyncApi(context, { workers, logLevel: "warn" });
    const async = await startAsyncApi(context, { syncApi: sync, logLevel: "warn", heartbeatMs: HEARTBEAT_MS });
    await ready(sync, async);
    const asyncUrl = `${async.origin}/async`;
    const measure = async () => {
      const [rtt, gaps] = await Promise.all([
        roundTrips(`${asyncUrl.replace("http", "ws")}/ws`, roundTripCount),
        heartbeatIntervals(`${asyncUrl}/events/notes`, heartbeatCount),
      ]);
      return { rtt: spread(rtt), heartbeat: spread(gaps) };
    };

    const rest = await measure();
    // Every sync-api worker busy with a sieve, all the time.
    const load = startLoad({
      url: `${sync.origin}/compute/primes?below=${BELOW}`,
      connections: workers * 4,
      seconds: 120,
    });
    let saturated: Awaited<ReturnType<typeof measure>>;
    try {
      await sleep(1_000);
      saturated = await measure();
    } finally {
      load.stop();
    }
    const result = await load.result;

    const row = (label: string, a: Spread, b: Spread) => [
      label,
      fmt.ms(a.p50),
      fmt.ms(a.p99),
      fmt.ms(a.max),
      fmt.ms(b.p50),
      fmt.ms(b.p99),
      fmt.ms(b.max),
    ];
    const measurements = (
      [
        ["WebSocket echo round trip", "at rest", rest.rtt],
        ["WebSocket echo round trip", "sync-api saturated", saturated.rtt],
        ["SSE heartbeat interval", "at rest", rest.heartbeat],
        ["SSE heartbeat interval", "sync-api saturated", saturated.heartbeat],
      ] as const
    ).flatMap(([label, when, s]) =>
      (["p50", "p99", "max"] as const).map((p) => ({ label: `${label}, ${when}`, metric: p, unit: "ms", value: s[p] })),
    );
    return {
      method: [
        `Both production builds (sync-api with ${workers} workers, one per core; logs off); async-api sends an SSE`,
        `heartbeat every ${HEARTBEAT_MS} ms. ${roundTripCount} WebSocket echo round trips one after the other and`,
        `${heartbeatCount} heartbeat intervals, measured together, twice: at rest, and while autocannon keeps every`,
        `sync-api worker busy with \`GET /compute/primes?below=${fmt.count(BELOW)}\` (${workers * 4} connections).`,
        "The event loop never waits for the blocking work; it only shares the CPU with it.",
      ].join("\n"),
      tables: [
        {
          columns: ["async-api", "rest p50", "rest p99", "rest max", "saturated p50", "saturated p99", "saturated max"],
          rows: [
            row("WebSocket echo round trip", rest.rtt, saturated.rtt),
            row("SSE heartbeat interval", rest.heartbeat, saturated.heartbeat),
          ],
        },
        {
          columns: ["sync-api under that load", "value"],
          rows: [
            ["CPU-bound requests/s", fmt.count(result.requestsPerSecond)],
            ["p99 latency", fmt.ms(result.p99)],
            ["errors", String(result.errors)],
          ],
        },
      ],
      chart: {
        title: "async-api p99, at rest and while sync-api is saturated",
        unit: "ms",
        series: ["at rest", "sync-api saturated"],
        rows: [
          { label: "WebSocket echo round trip p99", values: [rest.rtt.p99, saturated.rtt.p99] },
          {
            label: `SSE heartbeat interval p99 (every ${HEARTBEAT_MS} ms)`,
            values: [rest.heartbeat.p99, saturated.heartbeat.p99],
          },
        ],
        format: fmt.ms,
      },
      measurements: [
        ...measurements,
        {
          label: "sync-api under load",
          metric: "CPU-bound requests per second",
          unit: "req/s",
          value: result.requestsPerSecond,
        },
      ],
      details: {
        workers,
        heartbeatMs: HEARTBEAT_MS,
        roundTrips: roundTripCount,
        heartbeats: heartbeatCount,
        rest,
        saturated,
        load: result,
      },
    };
  },
};
