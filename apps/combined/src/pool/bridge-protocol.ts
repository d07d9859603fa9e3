/**
 * What crosses combined mode's database bridge (database-bridge.ts on the main thread,
 * bridged-database.ts in a pool thread): one request at a time from a thread, one answer back.
 * Plain data only (structured clone).
 */
import type { MessagePort } from "node:worker_threads";
import type { DatabaseSettings, Row } from "@repo/sync-api/host";

/** A statement's parameters as they travel: text or null, as PostgresDatabase sends them too. */
export type WireParam = string | null;

/**
 * One call of the Database interface. `begin` pins a connection to the thread until its `commit`
 * or `rollback`; everything between runs on it.
 */
export type BridgeCall =
  | { readonly op: "all" | "run"; readonly sql: string; readonly params: readonly WireParam[] }
  | { readonly op: "exec"; readonly sql: string }
  | { readonly op: "begin" | "commit" | "rollback" };

/** A call as it travels, numbered so that a late answer is told from the one awaited. */
export type BridgeRequest = { readonly id: number } & BridgeCall;

/**
 * Its answer: the rows (`all`) and the count of rows changed (`run`); or the failure, already
 * classified on the main thread (`unavailable`: answer 503 with Retry-After; `connecting`: the
 * server could not be reached at all).
 */
export type BridgeAnswer = { readonly id: number } & (
  | { readonly ok: true; readonly rows: readonly Row[]; readonly count: number }
  | {
      readonly ok: false;
      readonly unavailable: boolean;
      readonly connecting: boolean;
      readonly error: { readonly name: string; readonly message: string; readonly code?: string };
    }
);

/**
 * What a thread sends the main thread once, through piscina's own channel (`parentPort`): its end
 * of a channel of its own, and the word the main thread bumps (then notifies) after each answer.
 */
export interface BridgeChannel {
  readonly port: MessagePort;
  readonly signal: Int32Array;
}

/** The key of that message: piscina passes every message without its own mark to the pool's `message` event. */
export const BRIDGE_CHANNEL = "databaseBridgeChannel";

/** Time the main thread's event loop may take to see an answer and pass it on. */
const MARGIN_MS = 1_000;

/**
 * The bounds of one call, from the database settings: the main thread gives up on a statement
 * the server does not answer (`queryTimeoutMs`, past the server's own statement_timeout); a thread
 * gives up waiting for the main thread (`waitMs`: a connection taken or made, then a statement,
 * then the margin), so that no thread ever waits without end.
 */
export function bridgeBounds(settings: Pick<DatabaseSettings, "statementTimeoutMs" | "connectTimeoutMs">): {
  readonly queryTimeoutMs: number;
  readonly waitMs: number;
} {
  const queryTimeoutMs = settings.statementTimeoutMs + MARGIN_MS;
  return { queryTimeoutMs, waitMs: settings.connectTimeoutMs + queryTimeoutMs + MARGIN_MS };
}
