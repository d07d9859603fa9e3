/**
 * Combined mode's pool of worker threads for sync handlers (piscina), with the process model's
 * guarantees in thread form: a full queue is answered 503 with Retry-After; a handler past its
 * timeout is answered 504 and its thread terminated and replaced (a thread cannot be interrupted,
 * as the cluster kills a stuck worker); a thread that crashes is replaced; a drain finishes every
 * queued and running task.
 */

import type { AsyncApiSettings } from "@repo/async-api/settings";
import { ContractViolation, type HandlerResult, HttpProblem } from "@repo/contracts";
import { Counter, Gauge, type Registry } from "@repo/metrics";
import { Piscina } from "piscina";
import type { DatabaseBridge } from "./database-bridge.ts";
import type { SyncOutcome, SyncTask, ThreadData } from "./task.ts";

/** The thread's module, as this file is run: TypeScript source in development, the build otherwise. */
const THREAD = new URL(`./thread${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).href;

/** How long a client told the queue is full waits before it retries. */
const RETRY_AFTER_S = 1;

export class SyncPool {
  readonly #pool: Piscina<SyncTask | "describe", SyncOutcome | string[]>;
  readonly #timeoutMs: number;
  readonly #draining = new Int32Array(new SharedArrayBuffer(4));
  /** Tasks running or queued, and how many that may be: one per thread plus the queue. */
  #pending = 0;
  readonly #capacity: number;
  /** Counted when metrics are on (`registerMetrics`). */
  #refusals: Counter | undefined;
  #timeouts: Counter | undefined;

  /** `bridge`: the threads reach PostgreSQL through it (their channels arrive as messages). */
  constructor(settings: AsyncApiSettings["combined"], bridge?: DatabaseBridge) {
    this.#timeoutMs = settings.taskTimeoutMs;
    this.#capacity = settings.threads + settings.maxQueue;
    this.#pool = new Piscina({
      filename: THREAD,
      minThreads: settings.threads,
      maxThreads: settings.threads,
      // A thread keeps its resources (its database connection) for the life of the process.
      idleTimeout: Number.POSITIVE_INFINITY,
      // The queue's limit is kept here (`#capacity`): piscina does not count a task with an abort
      // signal against its `maxQueue`, and every task here has one (the timeout).
      workerData: { draining: this.#draining, bridged: bridge !== undefined } satisfies ThreadData,
    });
    if (bridge) this.#pool.on("message", (message: unknown) => bridge.accept(message));
  }

  /**
   * Waits for a thread to build its route table, and checks it has exactly the handlers the
   * server mounted (`expected`): what a thread cannot build fails the start, not the first request.
   */
  async start(expected: readonly string[]): Promise<void> {
    const found = (await this.#pool.run("describe")) as string[];
    const missing = expected.filter((key) => !found.includes(key));
    const extra = found.filter((key) => !expected.includes(key));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `the pool threads' route table differs from the one mounted: ${[
          ...missing.map((key) => `${key} missing`),
          ...extra.map((key) => `${key} not mounted`),
        ].join(", ")}`,
      );
    }
  }

  /**
   * The pool's metrics in the process's registry: tasks queued and running (read when scraped),
   * tasks refused with the queue full, and tasks past `taskTimeoutMs`.
   */
  registerMetrics(registry: Registry): void {
    const pool = this.#pool;
    new Gauge({
      name: "combined_pool_queue_depth",
      help: "Sync handler tasks waiting for a pool thread.",
      registers: [registry],
      collect() {
        this.set(pool.queueSize);
      },
    });
    const pending = () => this.#pending;
    new Gauge({
      name: "combined_pool_tasks_pending",
      help: "Sync handler tasks running or waiting (at most combined.threads + combined.maxQueue).",
      registers: [registry],
      collect() {
        this.set(pending());
      },
    });
    this.#refusals = new Counter({
      name: "combined_pool_refusals_total",
      help: "Sync handler tasks refused (503) because every thread was busy and the queue full.",
      registers: [registry],
    });
    this.#timeouts = new Counter({
      name: "combined_pool_task_timeouts_total",
      help: "Sync handler tasks past combined.taskTimeoutMs (504), their threads replaced.",
      registers: [registry],
    });
  }

  /** Runs one sync handler on a thread: its result, or a thrown problem (503, 504) or error (500). */
  async run(task: SyncTask): Promise<HandlerResult> {
    if (this.#pending >= this.#capacity) {
      this.#refusals?.inc();
      throw new HttpProblem(
        503,
        "every sync thread is busy and the queue is full; retry",
        {},
        {
          "retry-after": String(RETRY_AFTER_S),
        },
      );
    }
    this.#pending++;
    let outcome: SyncOutcome;
    try {
      const options = this.#timeoutMs > 0 ? { signal: AbortSignal.timeout(this.#timeoutMs) } : {};
      outcome = (await this.#pool.run(task, options)) as SyncOutcome;
    } catch (error) {
      throw this.#problemFor(error);
    } finally {
      this.#pending--;
    }
    if (outcome.ok) return outcome.result;
    if ("problem" in outcome)
      throw new HttpProblem(outcome.problem.body.status, undefined, outcome.problem.body, {
        ...outcome.problem.headers,
      });
    // The error as the thread saw it, so that the log shows its stack and a broken contract is named.
    const { name, message, stack } = outcome.error;
    const error: Error = name === "ContractViolation" ? new ContractViolation(message) : new Error(message);
    if (!(error instanceof ContractViolation)) error.name = name;
    if (stack) error.stack = stack;
    throw error;
  }

  #problemFor(error: unknown): unknown {
    if (error instanceof Error && error.name === "AbortError") {
      this.#timeouts?.inc();
      return new HttpProblem(
        504,
        `no answer within ${this.#timeoutMs} ms (combined.taskTimeoutMs): a handler still running is stopped and its thread replaced`,
      );
    }
    // The thread died under the task (piscina replaces it), or the answer could not cross.
    return error;
  }

  /** From now on sync-api's readiness answers 503 in every thread. */
  drain(): void {
    Atomics.store(this.#draining, 0, 1);
  }

  /** Finishes every queued and running task, then ends the threads. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
