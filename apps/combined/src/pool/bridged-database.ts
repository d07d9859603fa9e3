/**
 * Combined mode's database bridge, a pool thread's side: sync-api's synchronous Database
 * interface over PostgreSQL, each call posted to the main thread (database-bridge.ts), which runs
 * it on its node-postgres Pool while this thread blocks on `Atomics.wait`, as a cluster worker
 * blocks in pg-native. Every wait is bounded (bridgeBounds): a thread never waits longer than its
 * database settings allow, whatever the main thread or the server does.
 *
 * The same answers as PostgresDatabase: its rows (node-postgres and pg-native parse values with
 * the same pg-types parsers, bigint made a number for both: withBigintAsNumber), its counts, and
 * its 503 problem with Retry-After when the server cannot answer now.
 */
import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort } from "node:worker_threads";
import {
  type Database,
  type DatabaseSettings,
  databaseUnavailable,
  type Param,
  type Row,
  textParams,
} from "@repo/sync-api/host";
import {
  BRIDGE_CHANNEL,
  type BridgeAnswer,
  type BridgeCall,
  type BridgeChannel,
  type BridgeRequest,
  bridgeBounds,
} from "./bridge-protocol.ts";

/** What a failed call throws when it is not a 503: the driver's error, as it crossed. */
class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

export class BridgedDatabase implements Database {
  readonly dialect = "postgres";
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  readonly #waitMs: number;
  #lastId = 0;
  #inTransaction = false;

  /** Opens this thread's channel to the main thread's bridge (sent once, on piscina's own port). */
  static open(settings: DatabaseSettings): BridgedDatabase {
    if (!parentPort) throw new Error("the database bridge is for combined mode's pool threads only");
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const channel: BridgeChannel = { port: port2, signal };
    parentPort.postMessage({ [BRIDGE_CHANNEL]: channel }, [port2]);
    return new BridgedDatabase(port1, signal, bridgeBounds(settings).waitMs);
  }

  private constructor(port: MessagePort, signal: Int32Array, waitMs: number) {
    this.#port = port;
    this.#signal = signal;
    this.#waitMs = waitMs;
    // Read by receiveMessageOnPort only, never by the event loop: it must not keep the thread alive.
    port.unref();
  }

  /** Posts one call and blocks until its answer, at most `waitMs`; its outcome, or a thrown error. */
  #call(call: BridgeCall): Extract<BridgeAnswer, { ok: true }> {
    const id = ++this.#lastId;
    this.#port.postMessage({ ...call, id } satisfies BridgeRequest);
    const deadline = performance.now() + this.#waitMs;
    for (;;) {
      // Read before looking at the port: an answer posted after the look changes it, and the wait
      // below returns at once.
      const seen = Atomics.load(this.#signal, 0);
      const received = receiveMessageOnPort(this.#port)?.message as BridgeAnswer | undefined;
      if (received) {
        // An answer to an earlier call this thread stopped waiting for is dropped.
        if (received.id === id) return this.#outcome(received);
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw databaseUnavailable(
          `No answer from the database within ${this.#waitMs} ms (database.connectTimeoutMs + database.statementTimeoutMs + 2 s); the request was not carried out, or not acknowledged`,
        );
      }
      Atomics.wait(this.#signal, 0, seen, left);
    }
  }

  #outcome(answer: BridgeAnswer): Extract<BridgeAnswer, { ok: true }> {
    if (answer.ok) return answer;
    const cause = new DatabaseError(answer.error.message, answer.error.code);
    if (answer.unavailable) {
      const problem = answer.connecting
        ? databaseUnavailable("The database server cannot be reached right now; nothing was changed")
        : databaseUnavailable();
      throw Object.assign(problem, { cause });
    }
    throw cause;
  }

  all<T = Row>(sql: string, params: readonly Param[] = []): T[] {
    return this.#call({ op: "all", sql, params: textParams(params) }).rows as T[];
  }

  get<T = Row>(sql: string, params: readonly Param[] = []): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  run(sql: string, params: readonly Param[] = []): number {
    return this.#call({ op: "run", sql, params: textParams(params) }).count;
  }

  exec(sql: string): void {
    this.#call({ op: "exec", sql });
  }

  transaction<T>(work: () => T): T {
    if (this.#inTransaction) throw new Error("a transaction is already open on this thread: transactions do not nest");
    this.#call({ op: "begin" });
    this.#inTransaction = true;
    try {
      const result = work();
      this.#call({ op: "commit" });
      return result;
    } catch (error) {
      try {
        this.#call({ op: "rollback" });
      } catch {
        // The main thread closes a connection it could not roll back on: the server rolls back.
      }
      throw error;
    } finally {
      this.#inTransaction = false;
    }
  }

  /** Closes the channel: the main thread lets go of what this thread held. */
  close(): void {
    this.#port.close();
  }
}
