import { httpGet } from "./http.ts";

export interface LoadOutcome {
  readonly path: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status?: number;
  readonly error?: string;
}

export interface Load {
  /** Every request so far, answered or failed. */
  readonly outcomes: readonly LoadOutcome[];
  /** The requests that did not get a 2xx answer. */
  failures(): LoadOutcome[];
  /** How many requests were in flight at `time`. */
  inFlightAt(time: number): number;
  /** Ends the loops (each finishes its request in flight) and resolves once all have. */
  stop(): Promise<void>;
}

/**
 * A steady load of GETs from `clients` loops, each on a fresh connection (so nothing is tied to
 * one replica or worker by keep-alive), cycling through `paths` of `origin`. Every outcome is kept
 * with its start and end time, so a test can say which requests were in flight at a moment.
 * Bounded: each loop stops by itself after `maxDurationMs`.
 */
export function startLoad(
  origin: string,
  paths: readonly string[],
  {
    clients = 4,
    timeoutMs = 30_000,
    maxDurationMs = 300_000,
  }: { clients?: number; timeoutMs?: number; maxDurationMs?: number } = {},
): Load {
  const outcomes: LoadOutcome[] = [];
  const until = Date.now() + maxDurationMs;
  let running = true;
  let next = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running && Date.now() < until) {
      const path = paths[next++ % paths.length] as string;
      const startedAt = Date.now();
      try {
        const { status } = await httpGet(`${origin}${path}`, { timeoutMs });
        outcomes.push({ path, startedAt, endedAt: Date.now(), status });
      } catch (error) {
        outcomes.push({ path, startedAt, endedAt: Date.now(), error: String(error) });
      }
    }
  });
  return {
    outcomes,
    failures: () => outcomes.filter((o) => o.status === undefined || o.status < 200 || o.status >= 300),
    inFlightAt: (time) => outcomes.filter((o) => o.startedAt <= time && o.endedAt >= time).length,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
