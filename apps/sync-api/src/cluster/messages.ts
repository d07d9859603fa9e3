/**
 * What a worker and the supervisor tell each other. The cluster's IPC channel carries rare
 * events only (never a message per request): retirement, drain, and a metrics scrape, one
 * question and answer per worker each time Prometheus scrapes (every 15 s or so), which is rare
 * too. The watchdog's reports travel on a pipe of their own, written from the watchdog's thread,
 * so they arrive while the worker's event loop is stuck.
 */
import type { MetricsSnapshot } from "@repo/metrics";

/** The request a worker's handler was running when its event loop stopped, as the timeout log names it. */
export interface ServingRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
}

export type WorkerMessage =
  /** The worker reached max requests: replace it (the supervisor starts the replacement first). */
  | { readonly type: "retire"; readonly served: number }
  /** The answer to a scrape's question `id`: this worker's metrics now. */
  | { readonly type: "metrics"; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** Sent as a draining worker exits: its last numbers, kept by the supervisor once it has gone. */
  | { readonly type: "final-metrics"; readonly snapshot: MetricsSnapshot };

export type SupervisorMessage =
  /**
   * Drain: finish in-flight requests and exit. `replaced` (rolling restarts, retirement): other
   * workers listen, so stop accepting at once. Otherwise the whole process is stopping: nobody else
   * will accept the connections still waiting in the listen queue, so keep serving until quiet.
   */
  | { readonly type: "drain"; readonly replaced: boolean }
  /** A scrape's question: send your metrics, answering with this `id`. */
  | { readonly type: "metrics"; readonly id: number };

/** One line (JSON) on the watchdog pipe. */
export type WatchdogReport =
  /** The watchdog is alive; the event loop last turned `blockedMs` ago. */
  | { readonly type: "beat"; readonly blockedMs: number }
  /** The event loop has not turned for `blockedMs`, past the worker timeout: kill this worker. */
  | {
      readonly type: "stuck";
      readonly blockedMs: number;
      readonly serving: ServingRequest | null;
      /** Where the JavaScript was, innermost frame first, as `at fn (url:line:column)`; null if it could not be taken. */
      readonly stack: string | null;
    };

/** The worker's file descriptor of the watchdog pipe: stdin, stdout, stderr, the cluster's IPC, then this. */
export const WATCHDOG_FD = 4;

const WORKER_MESSAGES: ReadonlySet<unknown> = new Set<WorkerMessage["type"]>(["retire", "metrics", "final-metrics"]);
const SUPERVISOR_MESSAGES: ReadonlySet<unknown> = new Set<SupervisorMessage["type"]>(["drain", "metrics"]);

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return WORKER_MESSAGES.has((message as { type?: unknown } | null)?.type);
}

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return SUPERVISOR_MESSAGES.has((message as { type?: unknown } | null)?.type);
}

export function isWatchdogReport(value: unknown): value is WatchdogReport {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "beat" || type === "stuck";
}
