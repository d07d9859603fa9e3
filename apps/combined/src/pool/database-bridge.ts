/**
 * Combined mode's database bridge, the main thread's side: PostgreSQL for every pool thread
 * through one node-postgres Pool on this event loop. pg-native, sync-api's synchronous driver,
 * loads in one thread of a process only (node-libpq#79); here a thread posts each call on a channel
 * of its own and blocks (bridged-database.ts) while this side runs it and answers.
 *
 * Each channel runs its calls in order. A transaction pins one connection to its channel from
 * `begin` to `commit`/`rollback`; a thread that dies (a crash, or piscina ending a stuck task) closes
 * its channel, and a connection it still had pinned is closed, so the server rolls its transaction
 * back. A connection that failed in a way that says "cannot answer now" is dropped; the pool makes
 * a new one for the next call, so the app recovers by itself when the server is back.
 */
import type { MessagePort } from "node:worker_threads";
import {
  connectionString,
  type DatabaseSettings,
  isUnavailableState,
  type Row,
  type TypeParsers,
  withBigintAsNumber,
} from "@repo/sync-api/host";
import pg from "pg";
import {
  BRIDGE_CHANNEL,
  type BridgeAnswer,
  type BridgeChannel,
  type BridgeRequest,
  bridgeBounds,
} from "./bridge-protocol.ts";

type Outcome = { readonly rows: readonly Row[]; readonly count: number };
const NOTHING: Outcome = { rows: [], count: 0 };

/** Thrown here, answered 503: the transaction's connection was lost earlier in it. */
class TransactionLost extends Error {
  override readonly name = "TransactionLost";
}

/** Thrown here, answered 503 naming the server as unreachable: no connection could be had. */
class ConnectFailed extends Error {
  override readonly name = "ConnectFailed";
}

/** A column's value no parser could read (a bigint past 2^53): an error (500), as in PostgresDatabase, not a 503. */
class UnreadableValue extends Error {
  override readonly name = "UnreadableValue";
}

type Parse = (text: string) => unknown;

/** The parsers, each failure marked as UnreadableValue: the connection is fine, the value is not. */
function markingFailures(types: TypeParsers): TypeParsers {
  return {
    getTypeParser(oid, format) {
      const parse = types.getTypeParser(oid, format) as Parse;
      return (text: string) => {
        try {
          return parse(text);
        } catch (error) {
          throw new UnreadableValue((error as Error).message, { cause: error });
        }
      };
    },
  };
}

/**
 * Whether the server cannot answer now (503), as PostgresDatabase decides: a SQLSTATE it counts as
 * such, or a failure of the connection itself (refused, closed, past its timeout: no SQLSTATE).
 */
function unavailable(error: unknown): boolean {
  if (error instanceof TransactionLost || error instanceof ConnectFailed) return true;
  if (error instanceof UnreadableValue) return false;
  if (!(error instanceof pg.DatabaseError)) return true;
  return isUnavailableState(error.code);
}

export class DatabaseBridge {
  readonly #pool: pg.Pool;
  /** Statement text → its prepared statement's name: one name per text on every connection. */
  readonly #statements = new Map<string, string>();
  readonly #channels = new Set<Channel>();

  /** `connections`: one per thread (a thread makes one call at a time). */
  constructor(settings: DatabaseSettings, connections: number, applicationName = "sync-api (combined)") {
    const { queryTimeoutMs } = bridgeBounds(settings);
    this.#pool = new pg.Pool({
      // The same server-side bounds as sync-api's own connections (statement_timeout, idle
      // transactions), from the same function.
      connectionString: connectionString(settings.url, {
        connectTimeoutMs: settings.connectTimeoutMs,
        statementTimeoutMs: settings.statementTimeoutMs,
        applicationName,
      }),
      // Values read as PostgresDatabase reads them: pg-types' parsers, bigint as a number.
      types: markingFailures(withBigintAsNumber(pg.types)),
      max: connections,
      // Waiting for a free connection or for a new one counts against the connect timeout.
      connectionTimeoutMillis: settings.connectTimeoutMs,
      // A server that stops answering (no error, no close) fails the call past its statement timeout.
      query_timeout: queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 2_000,
      // Connections are kept, as each sync-api worker keeps its own.
      idleTimeoutMillis: 0,
    });
    // An idle connection that broke (the server restarted): the pool drops it and the next call
    // connects anew. Without a listener the error would end the process.
    this.#pool.on("error", () => {});
  }

  /** Serves a thread's channel if `message` is one (piscina's `message` event); whether it was. */
  accept(message: unknown): boolean {
    const channel = (message as Record<string, BridgeChannel | undefined> | null)?.[BRIDGE_CHANNEL];
    if (!channel) return false;
    this.#channels.add(new Channel(this, channel.port, channel.signal, (done) => this.#channels.delete(done)));
    return true;
  }

  /** A connection for one call or a transaction; a failure to get one is ConnectFailed. */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      // Whatever the reason (refused, too many connections, starting up, a bad password), as
      // PostgresDatabase answers a connection it cannot make.
      throw new ConnectFailed(error instanceof Error ? error.message : String(error), { cause: error });
    }
    // A checked-out connection has no listener of the pool's: one that breaks between two calls of
    // a transaction must not end the process (its next call fails, and it is dropped then).
    if (client.listenerCount("error") === 0) client.on("error", () => {});
    return client;
  }

  /** Runs one statement (prepared once per connection under one name). */
  query(client: pg.PoolClient, sql: string, params: readonly (string | null)[]): Promise<pg.QueryResult<Row>> {
    let name = this.#statements.get(sql);
    if (!name) {
      name = `b${this.#statements.size + 1}`;
      this.#statements.set(sql, name);
    }
    return client.query<Row>({ name, text: sql, values: [...params] });
  }

  /** Ends every connection, after the threads (close the pool of threads first). */
  async close(): Promise<void> {
    await Promise.all([...this.#channels].map((channel) => channel.closed()));
    await this.#pool.end();
  }
}

/** One thread's channel: its calls in order, and the connection its open transaction holds. */
class Channel {
  readonly #bridge: DatabaseBridge;
  readonly #port: MessagePort;
  readonly #signal: Int32Array;
  /** The calls so far, in order: each starts when the one before has answered. */
  #queue: Promise<void> = Promise.resolve();
  /** The open transaction's connection; `lost` once it failed (until the thread's rollback). */
  #pinned: pg.PoolClient | "lost" | undefined;
  #open = true;
  readonly #released = Promise.withResolvers<void>();

  constructor(bridge: DatabaseBridge, port: MessagePort, signal: Int32Array, onClosed: (channel: Channel) => void) {
    this.#bridge = bridge;
    this.#port = port;
    this.#signal = signal;
    port.on("message", (request: BridgeRequest) => {
      this.#queue = this.#queue.then(() => this.#answer(request));
    });
    // The thread ended (or closed its database): what it still holds is let go, after its last call.
    port.on("close", () => {
      this.#open = false;
      this.#queue = this.#queue.then(() => {
        const pinned = this.#pinned;
        this.#pinned = undefined;
        // Closed rather than rolled back and reused: the server rolls back what the thread left open.
        if (pinned && pinned !== "lost") pinned.release(true);
        onClosed(this);
        this.#released.resolve();
      });
    });
  }

  /** When everything this channel held is let go (its thread has ended). */
  closed(): Promise<void> {
    if (this.#open) this.#port.close();
    return this.#released.promise;
  }

  async #answer(request: BridgeRequest): Promise<void> {
    let answer: BridgeAnswer;
    try {
      answer = { id: request.id, ok: true, ...(await this.#run(request)) };
    } catch (error) {
      const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
      answer = {
        id: request.id,
        ok: false,
        unavailable: unavailable(error),
        connecting: error instanceof ConnectFailed,
        error: {
          name: name ?? "Error",
          message: message ?? String(error),
          ...(typeof code === "string" ? { code } : {}),
        },
      };
    }
    if (!this.#open) return;
    this.#port.postMessage(answer);
    // After the post: once the thread sees the word change, the answer is on its port.
    Atomics.add(this.#signal, 0, 1);
    Atomics.notify(this.#signal, 0);
  }

  async #run(request: BridgeRequest): Promise<Outcome> {
    switch (request.op) {
      case "begin":
        return this.#begin();
      case "commit":
      case "rollback":
        return this.#end(request.op);
      case "exec":
        return this.#statement(async (client) => {
          await client.query(request.sql);
          return NOTHING;
        });
      case "all":
        return this.#statement(async (client) => ({
          rows: (await this.#bridge.query(client, request.sql, request.params)).rows,
          count: 0,
        }));
      case "run":
        return this.#statement(async (client) => ({
          rows: [],
          count: (await this.#bridge.query(client, request.sql, request.params)).rowCount ?? 0,
        }));
    }
  }

  async #begin(): Promise<Outcome> {
    if (this.#pinned) throw new Error("a transaction is already open on this thread: transactions do not nest");
    const client = await this.#bridge.connect();
    try {
      await client.query("BEGIN");
    } catch (error) {
      client.release(true);
      throw error;
    }
    this.#pinned = client;
    return NOTHING;
  }

  async #end(op: "commit" | "rollback"): Promise<Outcome> {
    const pinned = this.#pinned;
    this.#pinned = undefined;
    if (pinned === undefined || pinned === "lost") {
      // A rollback of a transaction whose connection was lost: the server rolled it back already.
      if (op === "rollback") return NOTHING;
      throw new TransactionLost("the transaction's connection was lost before its commit; nothing was committed");
    }
    try {
      await pinned.query(op === "commit" ? "COMMIT" : "ROLLBACK");
    } catch (error) {
      pinned.release(true);
      throw error;
    }
    pinned.release();
    return NOTHING;
  }

  /** One statement: on the transaction's connection if one is open, else on one taken for it. */
  async #statement(work: (client: pg.PoolClient) => Promise<Outcome>): Promise<Outcome> {
    const pinned = this.#pinned;
    if (pinned === "lost") throw new TransactionLost("the transaction's connection was lost; nothing was committed");
    const client = pinned ?? (await this.#bridge.connect());
    try {
      const outcome = await work(client);
      if (!pinned) client.release();
      return outcome;
    } catch (error) {
      const drop = unavailable(error);
      if (!pinned) client.release(drop);
      else if (drop) {
        // The server rolled the transaction back, or will once the connection is closed.
        client.release(true);
        this.#pinned = "lost";
      }
      throw error;
    }
  }
}
