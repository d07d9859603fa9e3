/**
 * The load generator: autocannon in this process, every answer's latency taken from its
 * `response` event at full precision (autocannon's own histogram keeps whole milliseconds).
 */
import type { EventEmitter } from "node:events";
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly method?: "GET" | "POST";
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  /** 2xx answers per second of the run. */
  readonly requestsPerSecond: number;
  /** 2xx answers. */
  readonly requests: number;
  readonly seconds: number;
  /** Latency of every answer, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
}

type Run = EventEmitter & PromiseLike<autocannon.Result> & { stop(): void };

/** A load that runs until `stop()`, then resolves with its result (for loads behind a measurement). */
export interface RunningLoad {
  stop(): void;
  readonly result: Promise<LoadResult>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const run = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    // autocannon looks at its deadline once per sample: a run shorter than its default 1 s sample
    // (the quick plan's half second) would otherwise last a whole second.
    sampleInt: Math.min(1000, options.seconds * 1000),
    method: options.method ?? "GET",
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.headers ? { headers: { ...options.headers } } : {}),
  }) as unknown as Run;
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let started = performance.now();
  run.once("start", () => {
    started = performance.now();
  });
  // autocannon emits (client, statusCode, bytes, responseTime); its typings leave out the client.
  run.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    if (statusCode >= 200 && statusCode < 300) ok++;
    else non2xx++;
  });
  const result = (async (): Promise<LoadResult> => {
    const done = await run;
    const seconds = (performance.now() - started) / 1000;
    const errors = done.errors;
    if (non2xx > 0) throw new Error(`${options.method ?? "GET"} ${options.url}: ${non2xx} answers were not 2xx`);
    if (errors > Math.max(10, ok / 100)) throw new Error(`${options.url}: ${errors} errors for ${ok} answers`);
    return {
      requestsPerSecond: ok / seconds,
      requests: ok,
      seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors,
      non2xx,
    };
  })();
  return { stop: () => run.stop(), result };
}

/** One load for `options.seconds`. */
export function load(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).result;
}

export interface Rounds {
  /** Measured rounds. */
  readonly rounds: number;
  /** Seconds of one measurement. */
  readonly seconds: number;
  /** Seconds of an unrecorded warm-up run of each item before round 1 (0: none). */
  readonly warmupSeconds: number;
}

/**
 * Measures every item once per round, round 1 of every item before round 2 of any, so a drift of
 * the machine (another process, a thermal limit) spreads over all items instead of landing on one.
 * Returns each item's results, one per round.
 */
export async function interleave<T, R>(
  items: readonly T[],
  plan: Rounds,
  measure: (item: T, seconds: number) => Promise<R>,
  onResult: (item: T, result: R, round: number) => void = () => {},
): Promise<R[][]> {
  if (plan.warmupSeconds > 0) for (const item of items) await measure(item, plan.warmupSeconds);
  const results: R[][] = items.map(() => []);
  for (let round = 1; round <= plan.rounds; round++) {
    for (const [index, item] of items.entries()) {
      const result = await measure(item, plan.seconds);
      results[index]?.push(result);
      onResult(item, result, round);
    }
  }
  return results;
}
