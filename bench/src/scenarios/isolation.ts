/**
 * Does blocking work on the sync side leave the async side's event loop alone? Three ways to run
 * the API, each measured at rest and while autocannon saturates its sync side with CPU-bound
 * requests (`/compute/primes`):
 *
 * - split: sync-api's cluster beside async-api (two processes, as `pnpm start` runs them);
 * - combined: combined mode, the sync handlers on its pool of worker threads;
 * - inline: combined mode with the sync handlers on the event loop itself (the naive monolith).
 *
 * The async side is probed one request at a time: `GET /async/healthz`, WebSocket echo round
 * trips, and the jitter of the SSE heartbeat. Every probe stops at a count or at a time budget,
 * whichever comes first, so a blocked event loop (inline) cannot make the scenario hang.
 */
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ASYNC_PREFIX } from "@repo/testing";
import { fmt } from "../lib/format.ts";
import { type LoadResult, startLoad } from "../lib/load.ts";
import { withToken } from "../lib/notes.ts"; // #example
import { ANSWER_TIMEOUT_MS, probeLatencies, type Sampled } from "../lib/probe.ts";
import type { BenchContext, Measurement, Scenario, Table } from "../lib/scenario.ts";
import { hasCombined, ready, type Service, startAsyncApi, startCombined, startSyncApi } from "../lib/services.ts";
import { median, percentile, type Spread, spread } from "../lib/stats.ts";
import { heartbeatJitter, roundTrips } from "../lib/stream-probes.ts"; // #example

/** Often, so that even a short measurement has dozens of heartbeat intervals (production sends one every 15 s). */
const HEARTBEAT_MS = 25;
/** A sieve below two million: about 10 to 30 ms of CPU per request, depending on the machine. */
const BELOW = 2_000_000;
/** The load runs this long before the saturated measurement begins. */
const SETTLE_MS = 1_000;
/** After the load stops, the requests it left in the server get this long to finish. */
const DRAIN_MS = 500;
/** The targets, printed with the figures and never asserted. */
const SPLIT_MAX_RATIO = 1.5;
const INLINE_MIN_RATIO = 10;

type ModeName = "split" | "combined" | "inline";
/** The async side's probes: HTTP, and the examples' WebSocket channel and SSE stream. */
const PROBE_NAMES = [
  "http",
  "ws", // #example
  "sse", // #example
] as const;
type ProbeName = (typeof PROBE_NAMES)[number];

const PROBES: readonly {
  readonly key: ProbeName;
  readonly label: string;
  /** The most samples one measurement takes. */
  readonly most: (limits: Limits) => number;
}[] = [
  { key: "http", label: "GET /async/healthz", most: (limits) => limits.requests },
  { key: "ws", label: "WebSocket echo round trip", most: (limits) => limits.requests }, // #example
  { key: "sse", label: "SSE heartbeat jitter", most: (limits) => limits.heartbeats }, // #example
];

interface Limits {
  /** The time budget of one measurement (every probe runs during it, side by side). */
  readonly seconds: number;
  /** At most this many HTTP answers and as many WebSocket round trips. */
  readonly requests: number;
  /** At most this many heartbeat intervals. */
  readonly heartbeats: number;
}

/** A probe over the rounds: p50 and p99 the medians of the rounds', max the largest of all. */
interface ProbeSummary {
  /** Samples over all rounds. */
  readonly samples: number;
  /** Undefined when the probe got no sample at all. */
  readonly spread?: Spread;
  /** Each round's p99. */
  readonly p99s: readonly number[];
  /** Every round reached its count. */
  readonly complete: boolean;
  readonly timedOut: boolean;
}

type Probes<T> = Record<ProbeName, T>;

interface Running {
  /** Where the CPU-bound requests go. */
  readonly syncOrigin: string;
  /** Where /async/… is served. */
  readonly asyncOrigin: string;
  readonly services: readonly Service[];
}

interface Mode {
  readonly name: ModeName;
  /** What runs the sync handlers. */
  readonly syncSide: string;
  start(context: BenchContext): Promise<Running>;
}

/** One round of a mode: the probes at rest, then with the sync side saturated, and that load. */
interface Round {
  readonly rest: Probes<Sampled>;
  readonly saturated: Probes<Sampled>;
  readonly load: LoadResult;
}

interface SyncSummary {
  /** Medians over the rounds. */
  readonly requestsPerSecond: number;
  readonly p99: number;
  readonly errors: number;
  /** Each round's requests per second. */
  readonly rounds: readonly number[];
}

interface ModeResult {
  readonly mode: Mode;
  readonly rest: Probes<ProbeSummary>;
  readonly saturated: Probes<ProbeSummary>;
  readonly load: SyncSummary;
}

function summarize(rounds: readonly Sampled[]): ProbeSummary {
  const spreads = rounds.filter((r) => r.values.length > 0).map((r) => spread(r.values));
  return {
    samples: rounds.reduce((sum, r) => sum + r.values.length, 0),
    ...(spreads.length
      ? {
          spread: {
            p50: median(spreads.map((s) => s.p50)),
            p99: median(spreads.map((s) => s.p99)),
            max: Math.max(...spreads.map((s) => s.max)),
          },
        }
      : {}),
    p99s: spreads.map((s) => s.p99),
    complete: rounds.every((r) => r.complete),
    timedOut: rounds.some((r) => r.timedOut),
  };
}

function summarizeMode(mode: Mode, rounds: readonly Round[]): ModeResult {
  const each = (state: "rest" | "saturated") =>
    Object.fromEntries(
      PROBES.map(({ key }) => [key, summarize(rounds.map((r) => r[state][key]))]),
    ) as Probes<ProbeSummary>;
  return {
    mode,
    rest: each("rest"),
    saturated: each("saturated"),
    load: {
      requestsPerSecond: median(rounds.map((r) => r.load.requestsPerSecond)),
      p99: median(rounds.map((r) => r.load.p99)),
      errors: rounds.reduce((sum, r) => sum + r.load.errors, 0),
      rounds: rounds.map((r) => Math.round(r.load.requestsPerSecond)),
    },
  };
}

/** Every probe at once, against the async side at `origin`, within `limits`. */
async function measureProbes(origin: string, limits: Limits): Promise<Probes<Sampled>> {
  const healthz = `${origin}${ASYNC_PREFIX}/healthz`;
  const [http, ...streams] = await Promise.all([
    probeLatencies(healthz, { seconds: limits.seconds, maxRequests: limits.requests, timeoutMs: ANSWER_TIMEOUT_MS }),
    // #region example
    roundTrips(withToken(`${origin.replace(/^http/, "ws")}${ASYNC_PREFIX}/ws`), limits.requests, limits.seconds).then(
      (sampled) => ["ws", sampled] as const,
    ),
    heartbeatJitter(
      withToken(`${origin}${ASYNC_PREFIX}/events/notes`),
      HEARTBEAT_MS,
      limits.heartbeats,
      limits.seconds,
    ).then((sampled) => ["sse", sampled] as const),
    // #endregion example
  ]);
  if (http.non2xx > 0) throw new Error(`GET ${healthz}: ${http.non2xx} answers were not 2xx`);
  return {
    http: { values: http.latencies, complete: http.latencies.length >= limits.requests, timedOut: http.timedOut },
    ...Object.fromEntries(streams),
  } as Probes<Sampled>;
}

/**
 * One round: the probes at rest, then while autocannon keeps every sync worker (thread, or the
 * event loop inline) busy with a sieve.
 */
async function measureRound(running: Running, limits: Limits, connections: number): Promise<Round> {
  const rest = await measureProbes(running.asyncOrigin, limits);
  const load = startLoad({ url: `${running.syncOrigin}/compute/primes?below=${BELOW}`, connections, seconds: 600 });
  // Awaited below; a probe that fails first must not leave its failure unhandled.
  load.result.catch(() => {});
  let saturated: Probes<Sampled>;
  try {
    await sleep(SETTLE_MS);
    saturated = await measureProbes(running.asyncOrigin, limits);
  } finally {
    load.stop();
  }
  const result = await load.result;
  // The sieves already taken finish before anything else is measured.
  await sleep(DRAIN_MS);
  return { rest, saturated, load: result };
}

/** A few hundred unrecorded requests and round trips, so that the at-rest figures are not the JIT's. */
async function warmUp(origin: string): Promise<void> {
  await Promise.all([
    probeLatencies(`${origin}${ASYNC_PREFIX}/healthz`, { seconds: 0.5, maxRequests: 300 }),
    roundTrips(withToken(`${origin.replace(/^http/, "ws")}${ASYNC_PREFIX}/ws`), 300, 0.5), // #example
  ]);
}

/** The three ways to run the API, with `workers` sync workers (cluster processes or pool threads). */
function everyMode(workers: number): Mode[] {
  return [
    {
      name: "split",
      syncSide: `sync-api, ${workers} cluster workers (own processes)`,
      async start(context) {
        const sync = await startSyncApi(context, { workers, logLevel: "warn" });
        const async = await startAsyncApi(context, {
          syncApi: sync,
          logLevel: "warn",
          heartbeatMs: HEARTBEAT_MS, // #example
        });
        return { syncOrigin: sync.origin, asyncOrigin: async.origin, services: [sync, async] };
      },
    },
    {
      name: "combined",
      syncSide: `combined mode's pool, ${workers} worker threads`,
      async start(context) {
        const combined = await startCombined(context, {
          threads: workers,
          logLevel: "warn",
          heartbeatMs: HEARTBEAT_MS, // #example
        });
        return { syncOrigin: combined.origin, asyncOrigin: combined.origin, services: [combined] };
      },
    },
    {
      name: "inline",
      syncSide: "combined mode's event loop itself (SYNC_HANDLERS=inline)",
      async start(context) {
        const inline = await startCombined(context, {
          name: "combined-inline",
          syncHandlers: "inline",
          logLevel: "warn",
          heartbeatMs: HEARTBEAT_MS, // #example
        });
        return { syncOrigin: inline.origin, asyncOrigin: inline.origin, services: [inline] };
      },
    },
  ];
}

const ratio = (a: ProbeSummary | undefined, b: ProbeSummary | undefined) =>
  a?.spread && b?.spread ? a.spread.p99 / b.spread.p99 : Number.NaN;
const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "–" : fmt.ms(value));
const samples = (count: number) => `${fmt.count(count)} sample${count === 1 ? "" : "s"}`;
const times = (value: number) => (Number.isFinite(value) ? fmt.ratio(value) : "–");

export const isolation: Scenario = {
  name: "isolation",
  title: "Isolation: the async side while the sync side is saturated (split, combined, inline)",
  async run(context) {
    const limits: Limits = context.quick
      ? { seconds: 1.5, requests: 500, heartbeats: 40 }
      : { seconds: 6, requests: 3_000, heartbeats: 200 };
    const workers = availableParallelism();
    const connections = workers * 4;
    // A checkout from before combined mode (`--apps`) is measured split only.
    const combinedHere = hasCombined(context);
    const modes = everyMode(workers).filter((mode) => combinedHere || mode.name === "split");

    // Every mode up at once (idle, the others cost next to nothing), measured round by round:
    // round 1 of every mode before round 2 of any, as lib/load.ts's interleave does.
    const started = await Promise.all(modes.map(async (mode) => ({ mode, running: await mode.start(context) })));
    await ready(...started.flatMap(({ running }) => running.services));
    for (const { running } of started) await warmUp(running.asyncOrigin);
    const rounds = new Map<Mode, Round[]>(modes.map((mode) => [mode, []]));
    for (let round = 1; round <= context.plan.rounds; round++) {
      for (const { mode, running } of started) {
        const measured = await measureRound(running, limits, connections);
        rounds.get(mode)?.push(measured);
        context.log(
          `  round ${round}/${context.plan.rounds}  ${mode.name}: at rest ${describeProbes(measured.rest)}; ` +
            `saturated ${describeProbes(measured.saturated)}; sync side ${fmt.rps(measured.load.requestsPerSecond)}`,
        );
      }
    }
    const results = modes.map((mode) => summarizeMode(mode, rounds.get(mode) ?? []));

    const by = (name: ModeName) => results.find((r) => r.mode.name === name);
    const split = by("split");
    const inline = by("inline");

    const probeRows = PROBES.flatMap(({ key, label }) =>
      results.map(({ mode, rest, saturated }) => {
        const [r, s] = [rest[key], saturated[key]];
        return [
          label,
          mode.name,
          ms(r.spread?.p50),
          ms(r.spread?.p99),
          ms(r.spread?.max),
          ms(s.spread?.p50),
          ms(s.spread?.p99),
          ms(s.spread?.max),
          times(ratio(s, r)),
          `${fmt.count(r.samples)}, ${fmt.count(s.samples)}`,
        ];
      }),
    );

    const targets: { target: string; probe: string; value: number; met: boolean }[] = PROBES.flatMap(
      ({ key, label }) => {
        const rows = [];
        if (split) {
          const value = ratio(split.saturated[key], split.rest[key]);
          rows.push({
            target: `split: saturated p99 ≤ ${SPLIT_MAX_RATIO}× at rest`,
            probe: label,
            value,
            met: value <= SPLIT_MAX_RATIO,
          });
        }
        if (split && inline) {
          const value = ratio(inline.saturated[key], split.saturated[key]);
          rows.push({
            target: `inline: saturated p99 ≥ ${INLINE_MIN_RATIO}× split's`,
            probe: label,
            value,
            met: value >= INLINE_MIN_RATIO,
          });
        }
        return rows;
      },
    );

    const measurements: Measurement[] = [];
    for (const { mode, rest, saturated, load } of results) {
      for (const { key, label } of PROBES) {
        for (const [state, probes] of [
          ["at rest", rest],
          ["sync side saturated", saturated],
        ] as const) {
          const s = probes[key].spread;
          if (!s) continue;
          for (const p of ["p50", "p99", "max"] as const) {
            measurements.push({ label: `${label}, ${mode.name}, ${state}`, metric: p, unit: "ms", value: s[p] });
          }
        }
        const value = ratio(saturated[key], rest[key]);
        if (value > 0) {
          measurements.push({
            label: `${label}, ${mode.name}`,
            metric: "saturated p99 ÷ at-rest p99",
            unit: "×",
            value,
          });
        }
      }
      measurements.push(
        {
          label: `sync side under load, ${mode.name}`,
          metric: "CPU-bound requests per second",
          unit: "req/s",
          value: load.requestsPerSecond,
        },
        { label: `sync side under load, ${mode.name}`, metric: "p99 latency", unit: "ms", value: load.p99 },
      );
    }
    for (const { key, label } of PROBES) {
      const value = split && inline ? ratio(inline.saturated[key], split.saturated[key]) : Number.NaN;
      if (value > 0) {
        measurements.push({ label: `${label}, inline ÷ split`, metric: "saturated p99 ratio", unit: "×", value });
      }
    }

    const { rounds: roundCount } = context.plan;
    const perRound = roundCount === 1 ? "" : ` per round, over ${roundCount} rounds`;
    const short = results.flatMap(({ mode, rest, saturated }) =>
      (
        [
          ["at rest", rest],
          ["saturated", saturated],
        ] as const
      ).flatMap(([state, probes]) =>
        PROBES.filter(({ key }) => !probes[key].complete).map(({ key, label, most }) =>
          probes[key].timedOut
            ? `${mode.name}, ${state}: ${label} got ${samples(probes[key].samples)}, an answer not coming within ${ANSWER_TIMEOUT_MS / 1000} s.`
            : `${mode.name}, ${state}: ${label} got ${samples(probes[key].samples)} of the ${fmt.count(most(limits))} allowed${perRound}, its ${limits.seconds} s budget spent.`,
        ),
      ),
    );
    const splitRps = split?.load.requestsPerSecond ?? Number.NaN;

    const tables: Table[] = [
      {
        caption: "The async side, one request at a time: at rest and while the sync side is saturated",
        columns: [
          "async probe",
          "mode",
          "rest p50",
          "rest p99",
          "rest max",
          "saturated p50",
          "saturated p99",
          "saturated max",
          "saturated ÷ rest p99",
          "samples (rest, saturated)",
        ],
        textColumns: 2,
        rows: probeRows,
      },
      {
        caption: `The sync side under that load (${connections} connections of \`/compute/primes?below=${fmt.count(BELOW)}\`)`,
        columns: [
          "mode",
          "sync handlers run on",
          "CPU-bound req/s",
          "÷ split",
          "p99 latency",
          "errors",
          "req/s per round",
        ],
        textColumns: 2,
        rows: results.map(({ mode, load }) => [
          mode.name,
          mode.syncSide,
          fmt.count(load.requestsPerSecond),
          times(load.requestsPerSecond / splitRps),
          fmt.ms(load.p99),
          String(load.errors),
          load.rounds.map(fmt.count).join(", "),
        ]),
      },
      {
        caption: "Targets (printed, never asserted)",
        columns: ["target", "async probe", "measured", "met"],
        textColumns: 2,
        rows: targets.map(({ target, probe, value, met }) => [
          target,
          probe,
          times(value),
          Number.isFinite(value) ? (met ? "yes" : "no") : "–",
        ]),
      },
    ];

    return {
      method: [
        "The same API run three ways, production builds, logs at `warn`: **split** (sync-api with",
        `${workers} cluster workers, one per core, beside async-api), **combined** (combined mode, the sync handlers on`,
        `its pool of ${workers} worker threads) and **inline** (combined mode with \`COMBINED__SYNC_HANDLERS=inline\`: the sync`,
        "handlers on the event loop itself, the naive monolith, for this comparison only), all started together, an",
        `SSE heartbeat every ${HEARTBEAT_MS} ms. The async side of each is probed three ways at once, each one request at a`,
        "time: `GET /async/healthz` on a kept-alive connection (lib/probe.ts), WebSocket echo round trips, and the SSE",
        `heartbeat's jitter (how far each interval between two heartbeats strays from ${HEARTBEAT_MS} ms). After an unrecorded`,
        "warm-up, a round of a mode measures them at rest, then while autocannon keeps every sync worker (process,",
        `thread, or the event loop inline) busy with \`GET /compute/primes?below=${fmt.count(BELOW)}\` (${connections} connections,`,
        `measured from ${SETTLE_MS / 1000} s after the load starts; the other modes idle meanwhile). ${roundCount} round(s), interleaved (round 1 of`,
        "every mode before round 2 of any); p50 and p99 are the medians of the rounds', max the largest of all.",
        `Each measurement stops at ${fmt.count(limits.requests)} answers (round trips; ${limits.heartbeats} heartbeat intervals) or after`,
        `${limits.seconds} s, whichever comes first; the samples column counts them over the rounds (inline, saturated, gets`,
        "few: its event loop runs one sieve after another). The ratio column divides the saturated p99 by the",
        "at-rest p99 of the same mode; the heartbeat jitter's at-rest value is close to zero, so its ratio magnifies",
        "small changes: read its milliseconds too. The sync side's throughput counts every 2xx answer of the whole",
        "load, its settling second included (median of the rounds). The targets are printed, never asserted.",
      ].join("\n"),
      tables,
      chart: {
        title: "Async p99: at rest, and with the sync side saturated",
        unit: "ms",
        series: ["at rest", "sync side saturated"],
        rows: PROBES.flatMap(({ key, label }) =>
          results.map(({ mode, rest, saturated }) => ({
            label: mode.name,
            group: label,
            values: [rest[key].spread?.p99 ?? 0, saturated[key].spread?.p99 ?? 0],
          })),
        ),
        format: fmt.ms,
      },
      remarks: [...(combinedHere ? [] : ["This checkout has no combined mode (apps/combined): split only."]), ...short],
      measurements,
      details: {
        workers,
        connections,
        heartbeatMs: HEARTBEAT_MS,
        below: BELOW,
        limits,
        modes: Object.fromEntries(
          results.map(({ mode, rest, saturated, load }) => [
            mode.name,
            { syncSide: mode.syncSide, rest, saturated, load },
          ]),
        ),
        targets,
      },
    };
  },
};

function describeProbes(probes: Probes<Sampled>): string {
  return PROBES.map(({ key }) => {
    const { values } = probes[key];
    return `${key} p99 ${ms(values.length ? percentile(values, 99) : undefined)} (${values.length})`;
  }).join(", ");
}
