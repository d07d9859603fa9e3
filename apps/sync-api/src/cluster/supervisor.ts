import cluster, { type Worker } from "node:cluster";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { MetricsSnapshot } from "@repo/metrics";
import { exitWhenLogged } from "@repo/shared-settings";
import type { Logger } from "pino";
import type { SyncApiSettings } from "../settings/index.ts";
import { RestartBackoff } from "./backoff.ts";
import {
  isWatchdogReport,
  isWorkerMessage,
  type SupervisorMessage,
  WATCHDOG_FD,
  type WatchdogReport,
} from "./messages.ts";
import { type RestartReason, SupervisorMetrics } from "./metrics.ts";
import { beatInterval, watchdogSilenceLimit } from "./watchdog.ts";

interface WorkerState {
  readonly worker: Worker;
  readonly startedAt: number;
  /** Resolves true once the worker listens, false if it exits before. */
  readonly ready: Promise<boolean>;
  listening: boolean;
  /** When its watchdog last reported: a silent watchdog means the whole process is stuck. */
  lastReport: number;
  /** Asked to go (rolling restart, retirement, stop): its exit is expected, not a crash. */
  leaving: boolean;
  /** Killed by the watchdog: its replacement counts as a timeout's, not a crash's. */
  timedOut: boolean;
  /** Its latest metrics (a scrape's answer, or its final ones), kept for when it goes or falls silent. */
  snapshot: MetricsSnapshot | undefined;
  /** Scrapes waiting for its answer, by question id. */
  readonly pending: Map<number, (snapshot: MetricsSnapshot | undefined) => void>;
  /** Its IPC channel closed: it is gone, every message it sent has arrived. */
  gone: boolean;
}

/**
 * The supervisor, like gunicorn's arbiter: it serves no request itself. It forks `workers`
 * processes that share the listening socket and keeps that many running:
 * - a worker that crashes is replaced after an exponential backoff (reset by stable uptime);
 * - a worker whose event loop is stuck for longer than `workerTimeoutMs` is killed and replaced;
 *   its watchdog thread reports the request it was serving and the JavaScript stack where it
 *   was stuck, and the log shows both;
 * - a worker that reached `maxRequests` (+ jitter) is replaced, the replacement started first;
 * - SIGHUP replaces every worker, one at a time, each new one listening before an old one drains;
 * - SIGTERM/SIGINT drain every worker within the graceful timeout, then kill what is left;
 * - a worker that dies before it ever listened at start-up means the app cannot boot (bad code,
 *   port taken): the supervisor stops with exit code 1 instead of respawning in a loop;
 * - with `metrics.port` set, it serves one Prometheus scrape for every worker (metrics.ts).
 */
export class Supervisor {
  readonly #settings: SyncApiSettings;
  readonly #logger: Logger;
  readonly #states = new Map<number, WorkerState>();
  readonly #backoff: RestartBackoff;
  readonly #metrics: SupervisorMetrics | undefined;
  #booted = false;
  #stopping = false;
  #rolling = false;
  #exitCode = 0;

  constructor(settings: SyncApiSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#backoff = new RestartBackoff(settings.cluster.restartBackoff);
    this.#metrics =
      settings.metrics.port > 0
        ? new SupervisorMetrics({
            workers: () => [...this.#states.values()],
            timeoutMs: settings.metrics.workerTimeoutMs,
          })
        : undefined;
  }

  start(): void {
    const { cluster: knobs, host, port, workers } = this.#settings;
    cluster.schedulingPolicy = knobs.scheduling === "round-robin" ? cluster.SCHED_RR : cluster.SCHED_NONE;
    // A pipe per worker for its watchdog's reports, after the cluster's IPC channel (WATCHDOG_FD).
    cluster.setupPrimary({ stdio: ["inherit", "inherit", "inherit", "ipc", "pipe"] });
    cluster.on("exit", (worker, code, signal) => this.#onExit(worker, code, signal));
    process.on("SIGTERM", () => this.stop(0));
    process.on("SIGINT", () => this.stop(0));
    process.on("SIGHUP", () => void this.rollingRestart());

    const initial = Array.from({ length: workers }, () => this.#fork());
    // One line once every worker listens (each worker's own is at debug: a quiet `pnpm dev`).
    void Promise.all(initial.map((s) => s.ready)).then((ready) => {
      if (!ready.every(Boolean)) return;
      this.#booted = true;
      this.#logger.info(
        { host, port, workers, scheduling: knobs.scheduling },
        `sync-api listening on http://${host}:${port} with ${workers} workers`,
      );
    });
    this.#metrics?.serve(this.#settings, this.#logger);
    if (knobs.workerTimeoutMs > 0) {
      setInterval(() => this.#checkWatchdogs(), beatInterval(knobs.workerTimeoutMs)).unref();
    }
  }

  /** Replaces every worker, one at a time: each new one listens before the old one drains. */
  async rollingRestart(): Promise<void> {
    if (this.#rolling || this.#stopping) return;
    this.#rolling = true;
    const old = [...this.#states.values()].filter((s) => !s.leaving);
    this.#logger.info({ workers: old.length }, "SIGHUP: rolling restart");
    let replaced = 0;
    for (const state of old) {
      if (this.#stopping) break;
      if (!(await this.#replace(state, "rolling restart", "rolling_restart"))) break;
      replaced++;
    }
    this.#rolling = false;
    this.#logger.info({ replaced, of: old.length }, `rolling restart done: ${replaced} of ${old.length} replaced`);
  }

  /** Drains every worker; exits with `code` once they are gone, killing any left after the timeout. */
  stop(code: number): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#exitCode = code;
    this.#logger.info({ workers: this.#states.size }, "stopping: draining workers");
    for (const state of this.#states.values()) this.#drain(state, { replaced: false });
    if (this.#states.size === 0) exitWhenLogged(this.#logger, code);
  }

  #fork(): WorkerState {
    const worker = cluster.fork();
    let settle: (listening: boolean) => void = () => {};
    const state: WorkerState = {
      worker,
      startedAt: Date.now(),
      ready: new Promise<boolean>((resolve) => {
        settle = resolve;
      }),
      listening: false,
      lastReport: Date.now(),
      leaving: false,
      timedOut: false,
      snapshot: undefined,
      pending: new Map(),
      gone: false,
    };
    const reports = worker.process.stdio[WATCHDOG_FD] as Readable | null | undefined;
    if (reports) {
      createInterface({ input: reports }).on("line", (line) => this.#onWatchdogReport(state, line));
    }
    worker.once("listening", () => {
      state.listening = true;
      state.lastReport = Date.now();
      this.#logger.debug({ workerPid: worker.process.pid }, "worker listening");
      settle(true);
    });
    worker.once("exit", () => settle(false));
    // Per worker, not cluster-wide: its last messages may arrive after its exit, and still count.
    worker.on("message", (message: unknown) => this.#onMessage(state, message));
    // After every message it sent (they come first on the channel): its numbers are final now.
    worker.once("disconnect", () => this.#metrics?.departed(state));
    this.#states.set(worker.id, state);
    return state;
  }

  /** Starts a replacement, waits until it listens, then drains the old worker. */
  async #replace(state: WorkerState, reason: string, kind: RestartReason): Promise<boolean> {
    if (state.leaving || this.#stopping) return false;
    state.leaving = true;
    this.#metrics?.restarted(kind);
    const fresh = this.#fork();
    if (!(await fresh.ready)) {
      // The new code cannot boot: keep the old worker serving rather than lose capacity.
      state.leaving = false;
      this.#logger.error(
        { workerPid: state.worker.process.pid, reason },
        "replacement failed to boot: keeping the old worker",
      );
      return false;
    }
    this.#logger.info(
      { oldPid: state.worker.process.pid, newPid: fresh.worker.process.pid, reason },
      `worker replaced (${reason})`,
    );
    const exited = new Promise<void>((resolve) => state.worker.once("exit", () => resolve()));
    this.#drain(state, { replaced: true });
    await exited;
    return true;
  }

  #drain(state: WorkerState, { replaced }: { replaced: boolean }): void {
    state.leaving = true;
    if (state.worker.isConnected()) state.worker.send({ type: "drain", replaced } satisfies SupervisorMessage);
    else state.worker.process.kill("SIGTERM");
    // Whatever is still running a second after the graceful timeout is killed.
    setTimeout(() => {
      if (state.worker.isDead()) return;
      this.#logger.warn({ workerPid: state.worker.process.pid }, "worker did not stop in time: killing it");
      state.worker.process.kill("SIGKILL");
    }, this.#settings.shutdown.gracefulTimeoutMs + 1_000).unref();
  }

  #onMessage(state: WorkerState, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    switch (message.type) {
      case "retire":
        if (this.#states.has(state.worker.id)) {
          void this.#replace(state, `served ${message.served} requests`, "max_requests");
        }
        return;
      case "metrics":
      case "final-metrics":
        this.#metrics?.received(state, message);
        return;
    }
  }

  #onWatchdogReport(state: WorkerState, line: string): void {
    let report: WatchdogReport;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!isWatchdogReport(parsed)) return;
      report = parsed;
    } catch {
      return;
    }
    state.lastReport = Date.now();
    if (report.type !== "stuck" || state.worker.isDead()) return;
    const { blockedMs, serving, stack } = report;
    const what = serving ? ` while serving ${serving.method} ${serving.url} (request ${serving.id})` : "";
    this.#logger.error(
      { workerPid: state.worker.process.pid, blockedMs, serving, stack },
      `worker timeout: event loop blocked for ${blockedMs} ms${what}: killing it`,
    );
    this.#timedOut(state);
    state.worker.process.kill("SIGKILL");
  }

  /** The watchdog thread itself fell silent: the process is frozen as a whole (stopped, or stuck in native code). */
  #checkWatchdogs(): void {
    const now = Date.now();
    const silentLimit = watchdogSilenceLimit(this.#settings.cluster.workerTimeoutMs);
    for (const state of this.#states.values()) {
      if (!state.listening || state.worker.isDead()) continue;
      const silentMs = now - state.lastReport;
      if (silentMs <= silentLimit) continue;
      this.#logger.error(
        { workerPid: state.worker.process.pid, silentMs },
        `worker timeout: no word from its watchdog for ${silentMs} ms: killing it`,
      );
      state.lastReport = now;
      this.#timedOut(state);
      state.worker.process.kill("SIGKILL");
    }
  }

  #timedOut(state: WorkerState): void {
    state.timedOut = true;
    this.#metrics?.timedOut();
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.#states.get(worker.id);
    this.#states.delete(worker.id);
    const fields = { workerPid: worker.process.pid, code, signal };
    if (this.#stopping) {
      if (this.#states.size === 0) {
        this.#logger.info("all workers stopped");
        exitWhenLogged(this.#logger, this.#exitCode);
      }
      return;
    }
    if (!state || state.leaving) return;
    if (!state.listening && !this.#booted) {
      this.#logger.fatal(fields, "a worker failed to boot: stopping sync-api instead of respawning it");
      this.stop(1);
      return;
    }
    const delay = this.#backoff.nextDelay(Date.now() - state.startedAt);
    this.#logger.warn(
      { ...fields, restartInMs: delay, crashesInARow: this.#backoff.crashesInARow },
      `worker died: starting a new one in ${delay} ms`,
    );
    setTimeout(() => {
      if (this.#stopping) return;
      this.#metrics?.restarted(state.timedOut ? "timeout" : "crash");
      this.#fork();
    }, delay);
  }
}
