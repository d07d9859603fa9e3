/**
 * What a worker and the supervisor tell each other over the cluster's IPC channel. Any message
 * from a worker also proves its event loop is turning (a heartbeat).
 */

/** The request a worker is running a handler for, as the supervisor logs it on a timeout. */
export interface ServingRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
}

export type WorkerMessage =
  /** Sent every heartbeat interval from the event loop. */
  | { readonly type: "heartbeat" }
  /** Sent as a handler starts: if the worker then stops beating, this is the request that hung. */
  | { readonly type: "serving"; readonly request: ServingRequest }
  /** The worker reached max requests: replace it (the supervisor starts the replacement first). */
  | { readonly type: "retire"; readonly served: number };

export type SupervisorMessage =
  /** Stop accepting, finish in-flight requests, exit (rolling restarts and retirement). */
  { readonly type: "drain" };

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "heartbeat" || type === "serving" || type === "retire";
}

export function isSupervisorMessage(message: unknown): message is SupervisorMessage {
  return (message as { type?: unknown } | null)?.type === "drain";
}
