import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { SyncApiSettings } from "../settings/index.ts";
import { RestartBackoff } from "./backoff.ts";
import { isWorkerMessage, type ServingRequest, type SupervisorMessage } from "./messages.ts";

interface WorkerState {
  readonly worker: Worker;
  readonly startedAt: number;
  /** Resolves true once the worker listens, false if it exits before. */
  readonly ready: Promise<boolean>;
  listening: boolean;
  lastBeat: number;
  serving: ServingRequest | undefined;
  /** Asked to go (rolling restart, retirement, stop): its exit is expected, not a crash. */
  leaving: boolean;
}

/**
 * The supervisor, like gunicorn's arbiter: it serves no request itself. It forks `workers`
 * processes that share the listening socket and keeps that many running:
 * - a worker that crashes is replaced after an exponential backoff (reset by stable uptime);
 * - a worker whose event loop sends no heartbeat within `workerTimeoutMs` is killed and replaced,
 *   and the log names the request it was serving;
 * - a worker that reached `maxRequests` (+ jitter) is replaced, the replacement started first;
 * - SIGHUP replaces every worker, one at a time, each new one listening before an old one drains;
 * - SIGTERM/SIGINT drain every worker within the graceful timeout, then kill what is left;
 * - a worker that dies before it ever listened at start-up means the app cannot boot (bad code,
 *   port taken): the supervisor stops with exit code 1 instead of respawning in a loop.
 */
export class Supervisor {
  readonly #settings: SyncApiSettings;
  readonly #logger: Logger;
  readonly #states = new Map<number, WorkerState>();
  readonly #backoff: RestartBackoff;
  #booted = false;
  #stopping = false;
  #rolling = false;
  #exitCode = 0;

  constructor(settings: SyncApiSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#backoff = new RestartBackoff(settings.cluster.restartBackoff);
  }

  start(): void {
    const { cluster: knobs, host, port, workers } = this.#settings;
    cluster.schedulingPolicy = knobs.scheduling === "round-robin" ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.on("exit", (worker, code, signal) => this.#onExit(worker, code, signal));
    cluster.on("message", (worker, message: unknown) => this.#onMessage(worker, message));
    process.on("SIGTERM", () => this.stop(0));
    process.on("SIGINT", () => this.stop(0));
    process.on("SIGHUP", () => void this.rollingRestart());

    const initial = Array.from({ length: workers }, () => this.#fork());
    void Promise.all(initial.map((s) => s.ready)).then((ready) => {
      if (ready.every(Boolean)) this.#booted = true;
    });
    if (knobs.workerTimeoutMs > 0) {
      setInterval(() => this.#checkHeartbeats(), Math.min(1_000, knobs.workerTimeoutMs / 4)).unref();
    }
    this.#logger.info(
      { host, port, workers, scheduling: knobs.scheduling },
      `sync-api listening on http://${host}:${port} with ${workers} workers`,
    );
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
      if (!(await this.#replace(state, "rolling restart"))) break;
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
    for (const state of this.#states.values()) this.#drain(state);
    if (this.#states.size === 0) process.exit(code);
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
      lastBeat: Date.now(),
      serving: undefined,
      leaving: false,
    };
    worker.once("listening", () => {
      state.listening = true;
      state.lastBeat = Date.now();
      this.#logger.info({ workerPid: worker.process.pid }, "worker listening");
      settle(true);
    });
    worker.once("exit", () => settle(false));
    this.#states.set(worker.id, state);
    return state;
  }

  /** Starts a replacement, waits until it listens, then drains the old worker. */
  async #replace(state: WorkerState, reason: string): Promise<boolean> {
    if (state.leaving || this.#stopping) return false;
    state.leaving = true;
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
    this.#drain(state);
    await exited;
    return true;
  }

  #drain(state: WorkerState): void {
    state.leaving = true;
    if (state.worker.isConnected()) state.worker.send({ type: "drain" } satisfies SupervisorMessage);
    else state.worker.process.kill("SIGTERM");
    // Whatever is still running a second after the graceful timeout is killed.
    setTimeout(() => {
      if (state.worker.isDead()) return;
      this.#logger.warn({ workerPid: state.worker.process.pid }, "worker did not stop in time: killing it");
      state.worker.process.kill("SIGKILL");
    }, this.#settings.shutdown.gracefulTimeoutMs + 1_000).unref();
  }

  #onMessage(worker: Worker, message: unknown): void {
    const state = this.#states.get(worker.id);
    if (!state || !isWorkerMessage(message)) return;
    state.lastBeat = Date.now();
    if (message.type === "serving") state.serving = message.request;
    if (message.type === "retire") void this.#replace(state, `served ${message.served} requests`);
  }

  #checkHeartbeats(): void {
    const now = Date.now();
    for (const state of this.#states.values()) {
      if (!state.listening || state.worker.isDead()) continue;
      const silentMs = now - state.lastBeat;
      if (silentMs <= this.#settings.cluster.workerTimeoutMs) continue;
      this.#logger.error(
        { workerPid: state.worker.process.pid, silentMs, serving: state.serving },
        state.serving
          ? `worker timeout: no heartbeat for ${silentMs} ms while serving ${state.serving.method} ${state.serving.url} (request ${state.serving.id}): killing it`
          : `worker timeout: no heartbeat for ${silentMs} ms: killing it`,
      );
      state.lastBeat = now;
      state.worker.process.kill("SIGKILL");
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.#states.get(worker.id);
    this.#states.delete(worker.id);
    const fields = { workerPid: worker.process.pid, code, signal };
    if (this.#stopping) {
      if (this.#states.size === 0) {
        this.#logger.info("all workers stopped");
        process.exit(this.#exitCode);
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
      if (!this.#stopping) this.#fork();
    }, delay);
  }
}
