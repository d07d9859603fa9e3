/**
 * The supervisor's side of the metrics (docs/observability.md): one Prometheus scrape on
 * `metrics.port` for every worker. On each scrape it asks every worker for its numbers over the
 * cluster's IPC channel (one question and answer per worker per scrape: rare, as that channel's
 * traffic must be) and sums them with prom-client's `Registry.aggregate`. Not its
 * `clusterMetrics()`, which fails the whole scrape when one worker does not answer: here a worker
 * that has not answered within `metrics.workerTimeoutMs` (busy, or stuck until the watchdog kills
 * it) is left out and counted, and the scrape answers anyway.
 *
 * No sum may go backwards, or Prometheus's `rate()` reads a reset: a silent worker's counters and
 * histograms count as last received, and a worker that has gone (retired, replaced, crashed,
 * killed) leaves its last numbers (a draining worker sends its final ones) in a snapshot the
 * supervisor keeps. Gauges count for the workers that answered only.
 */
import type { Worker } from "node:cluster";
import {
  aggregateSnapshots,
  Counter,
  type Exposition,
  Gauge,
  type MetricsSnapshot,
  mergeSnapshots,
  monotonicPart,
  Registry,
  serveScrapes,
} from "@repo/metrics";
import type { Logger } from "pino";
import { type SyncApiSettings, syncApiSettings } from "../settings/index.ts";
import type { SupervisorMessage, WorkerMessage } from "./messages.ts";

/** Why a worker was replaced: `sync_api_worker_restarts_total`'s `reason`. */
export type RestartReason = "crash" | "timeout" | "max_requests" | "rolling_restart";

/** What the metrics read of a worker the supervisor runs. */
export interface MetricsWorker {
  readonly worker: Worker;
  readonly listening: boolean;
  snapshot: MetricsSnapshot | undefined;
  readonly pending: Map<number, (snapshot: MetricsSnapshot | undefined) => void>;
  gone: boolean;
}

/** Departed workers' snapshots kept apart before they are merged into one (bounded however many go). */
const MERGE_DEPARTED_AT = 8;

export class SupervisorMetrics {
  readonly #registry = new Registry();
  readonly #restarts = new Counter({
    name: "sync_api_worker_restarts_total",
    help: "Workers replaced, by reason: crash, timeout (killed by the watchdog), max_requests, rolling_restart.",
    labelNames: ["reason"],
    registers: [this.#registry],
  });
  readonly #timeouts = new Counter({
    name: "sync_api_worker_timeouts_total",
    help: "Workers the watchdog killed: event loop stuck past cluster.workerTimeoutMs, or the whole process silent.",
    registers: [this.#registry],
  });
  readonly #workers = new Gauge({
    name: "sync_api_workers",
    help: "Workers listening, as this scrape found them.",
    registers: [this.#registry],
  });
  readonly #unanswered = new Gauge({
    name: "sync_api_metrics_workers_unanswered",
    help: "Workers that did not answer this scrape within metrics.workerTimeoutMs (their counters count as last received).",
    registers: [this.#registry],
  });
  readonly #workersNow: () => readonly MetricsWorker[];
  readonly #timeoutMs: number;
  /** What is kept of departed workers: counters and histograms only. */
  #departed: MetricsSnapshot[] = [];
  #merging = false;
  #nextId = 0;

  constructor({ workers, timeoutMs }: { workers: () => readonly MetricsWorker[]; timeoutMs: number }) {
    this.#workersNow = workers;
    this.#timeoutMs = timeoutMs;
    // Every reason from the first scrape on, at 0: an alert on `increase()` sees the first one.
    for (const reason of ["crash", "timeout", "max_requests", "rolling_restart"] satisfies RestartReason[]) {
      this.#restarts.inc({ reason }, 0);
    }
  }

  /**
   * Listens on `metrics.port`. A port it cannot have is one error line naming its variable, and
   * sync-api serves on without metrics: the API's availability does not hang on its telemetry
   * (Prometheus's `up` says the target is down). Three production instances on one machine (the
   * bench's) would otherwise stop each other.
   */
  serve(settings: SyncApiSettings, logger: Logger): void {
    const { host } = settings;
    const { port } = settings.metrics;
    void serveScrapes({
      host,
      port,
      collect: () => this.collect(),
      log: logger,
      variables: { host: syncApiSettings.variable(["host"]), port: syncApiSettings.variable(["metrics", "port"]) },
    });
  }

  restarted(reason: RestartReason): void {
    this.#restarts.inc({ reason });
  }

  timedOut(): void {
    this.#timeouts.inc();
  }

  /** A worker's answer to a scrape, or its final numbers as it exits. */
  received(state: MetricsWorker, message: Extract<WorkerMessage, { type: "metrics" | "final-metrics" }>): void {
    state.snapshot = message.snapshot;
    if (message.type !== "metrics") return;
    state.pending.get(message.id)?.(message.snapshot);
  }

  /** A worker's channel closed: every message it sent has arrived, so its last numbers are final. */
  departed(state: MetricsWorker): void {
    state.gone = true;
    for (const answer of state.pending.values()) answer(undefined);
    if (state.snapshot) this.#departed.push(monotonicPart(state.snapshot));
    if (this.#departed.length >= MERGE_DEPARTED_AT) void this.#mergeDeparted();
  }

  /** One scrape: every listening worker asked at once, the answers summed with what is kept. */
  async collect(): Promise<Exposition> {
    const asked = this.#workersNow().filter((s) => s.listening && !s.gone);
    const answers = await Promise.all(asked.map((s) => this.#ask(s)));
    const snapshots: MetricsSnapshot[] = [];
    let unanswered = 0;
    for (const [i, state] of asked.entries()) {
      // Gone meanwhile: its numbers are in #departed now, counted there.
      if (state.gone) continue;
      const answer = answers[i];
      if (answer) {
        snapshots.push(answer);
      } else {
        unanswered++;
        if (state.snapshot) snapshots.push(monotonicPart(state.snapshot));
      }
    }
    this.#workers.set(asked.length);
    this.#unanswered.set(unanswered);
    snapshots.push(...this.#departed, await this.#registry.getMetricsAsJSON());
    const registry = aggregateSnapshots(snapshots);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** Asks one worker for its metrics: its snapshot, or undefined past the deadline or if it goes. */
  #ask(state: MetricsWorker): Promise<MetricsSnapshot | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(undefined), this.#timeoutMs);
      const answer = (snapshot: MetricsSnapshot | undefined) => {
        clearTimeout(timer);
        state.pending.delete(id);
        resolve(snapshot);
      };
      state.pending.set(id, answer);
      if (!state.worker.isConnected()) return answer(undefined);
      // With a callback, a channel that closes meanwhile is this error, not the process's 'error' event.
      state.worker.send({ type: "metrics", id } satisfies SupervisorMessage, undefined, (error) => {
        if (error) answer(undefined);
      });
    });
  }

  /** The departed snapshots merged into one; those that arrive meanwhile stay after it. */
  async #mergeDeparted(): Promise<void> {
    if (this.#merging) return;
    this.#merging = true;
    const merging = this.#departed.length;
    try {
      const merged = monotonicPart(await mergeSnapshots(this.#departed.slice(0, merging)));
      this.#departed.splice(0, merging, merged);
    } finally {
      this.#merging = false;
    }
  }
}
