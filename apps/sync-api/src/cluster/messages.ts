/**
 * What a worker and the supervisor tell each other. The cluster's IPC channel carries rare
 * events only (never a message per request); the watchdog's reports travel on a pipe of their
 * own, written from the watchdog's thread, so they arrive while the worker's event loop is stuck.
 */

/** The request a worker's handler was running when its event loop stopped, as the timeout log names it. */
export interface ServingRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
}

export type WorkerMessage =
  /** The worker reached max requests: replace it (the supervisor starts the replacement first). */
  { readonly type: "retire"; readonly served: number };

export type SupervisorMessage =
  /**
   * Drain: finish in-flight requests and exit. `replaced` (rolling restarts, retirement): other
   * workers listen, so stop accepting at once. Otherwise the whole process is stopping: nobody else
   * will accept the connections still waiting in the listen queue, so keep serving until quiet.
   */
  { readonly type: "drain"; readonly replaced: boolean };

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

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return (message as { type?: unknown } | null)?.type === "retire";
}

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return (message as { type?: unknown } | null)?.type === "drain";
}

export function isWatchdogReport(value: unknown): value is WatchdogReport {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "beat" || type === "stuck";
}
