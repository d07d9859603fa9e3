/**
 * What crosses between the event loop and a pool thread: plain data only (structured clone). A
 * handler's dependencies never cross; each thread builds its own from the settings.
 */
import type { HandlerResult, Principal, ProblemDetails, RequestParts } from "@repo/contracts";

/** Which handler to run (`controller.endpoint`), and the request as a sync handler sees it. */
export interface SyncTask {
  readonly handler: string;
  readonly request: { readonly id: string; readonly principal?: Principal | undefined } & RequestParts;
}

/**
 * What a thread answers: the handler's result; or what it threw, as plain data (an error's class
 * does not survive the crossing): a problem it meant to answer, or an error, for the log and a 500.
 */
export type SyncOutcome =
  | { readonly ok: true; readonly result: HandlerResult }
  | {
      readonly ok: false;
      readonly problem: { readonly body: ProblemDetails; readonly headers: Readonly<Record<string, string>> };
    }
  | {
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string; readonly stack?: string };
    };

/** The data every thread starts with (piscina's `workerData`). */
export interface ThreadData {
  /** Set to 1 when the process drains: sync-api's readiness answers 503 from then on. */
  readonly draining: Int32Array;
  /**
   * The database is PostgreSQL, reached through the main thread's bridge (database-bridge.ts)
   * rather than a connection of the thread's own.
   */
  readonly bridged: boolean;
}

/** The key a handler is run by: `compute.primes`. */
export function handlerKey(controller: string, endpoint: string): string {
  return `${controller}.${endpoint}`;
}
