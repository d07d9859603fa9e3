/**
 * PostgreSQL behind the Database interface, synchronously: libpq through pg-native's `*Sync`
 * calls, one connection per process (a cluster worker, the supervisor), each statement prepared
 * once per connection. A sync handler waits for its query as it waits for SQLite's disk, which is
 * what sync-api's workers are for.
 *
 * Nothing here waits without a bound: the connection attempt (`connect_timeout`), a statement on
 * the server (`statement_timeout`), a transaction left open (`idle_in_transaction_session_timeout`),
 * and a server that vanished mid-query (TCP keepalives and `tcp_user_timeout`). A connection that
 * broke is dropped; the call that met it is a 503 problem with Retry-After, and the next call
 * connects again, so the app recovers by itself when the server is back.
 */
import { createRequire } from "node:module";
import { type Database, databaseUnavailable, type Param, type Row } from "./database.ts";

/** What this module uses of pg-native's Client (it ships no types). */
interface PgNativeClient {
  connectSync(conninfo: string): void;
  querySync(text: string, values?: readonly string[]): Row[];
  prepareSync(name: string, text: string, nParams: number): void;
  executeSync(name: string, values: readonly (string | null)[]): Row[];
  end(): void;
  readonly pq: {
    cmdTuples(): string;
    /** libpq's PQtransactionStatus: 4 (PQTRANS_UNKNOWN) once the connection is bad. */
    transactionStatus(): number;
    resultErrorFields(): { sqlState?: string } | null;
  };
}

const PQTRANS_UNKNOWN = 4;

/**
 * SQLSTATEs that say the server cannot answer now, not that the request was wrong: a connection
 * exception, the server shutting down or starting, too many connections, out of resources, a
 * statement past `statement_timeout`, a conflict the client may retry (serialization, deadlock),
 * a transaction left idle too long. Shared with combined mode's database bridge, which maps
 * node-postgres's errors the same way.
 */
export function isUnavailableState(state: string | undefined): boolean {
  if (!state) return false;
  return (
    state.startsWith("08") ||
    state.startsWith("53") ||
    ["57P01", "57P02", "57P03", "57014", "40001", "40P01", "25P03"].includes(state)
  );
}

export interface PostgresOptions {
  /** How long connecting may take (libpq counts whole seconds, 2 at least). */
  readonly connectTimeoutMs: number;
  /** How long one statement may run on the server. */
  readonly statementTimeoutMs: number;
  /** The name the server shows for these connections (`pg_stat_activity`). */
  readonly applicationName: string;
}

/** How both drivers (pg-native here, node-postgres in combined mode's bridge) turn a column's text into a value. */
export interface TypeParsers {
  getTypeParser(oid: number, format?: "text" | "binary"): unknown;
}

/** PostgreSQL's `bigint` (int8): the ids, `count(*)`. */
const INT8_OID = 20;

/** A bigint as a number, as SQLite gives its integers; past 2^53 it would lose digits, so that fails. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new RangeError(`a bigint column holds ${text}, past what a JavaScript number holds exactly`);
  return value;
}

/**
 * A driver's type parsers with bigint read as a number: both drivers give it as a string (it may
 * pass 2^53), and handlers would then see `"7"` on PostgreSQL where SQLite gives `7`.
 */
export function withBigintAsNumber(types: TypeParsers): TypeParsers {
  return {
    getTypeParser: (oid, format) =>
      oid === INT8_OID && format !== "binary" ? parseInt8 : types.getTypeParser(oid, format),
  };
}

/**
 * Parameters as both drivers send them (pg-native here, combined mode's bridge): text, or null.
 * PostgreSQL's text cannot hold U+0000, and libpq passes a parameter as a C string, so one would
 * be cut short there: refused instead (the contracts refuse it in what clients send).
 */
export function textParams(params: readonly Param[]): (string | null)[] {
  return params.map((value) => {
    if (value === null) return null;
    const text = String(value);
    if (text.includes("\u0000"))
      throw new TypeError("PostgreSQL's text cannot hold U+0000 (a NUL character): refuse it in the contract");
    return text;
  });
}

/** pg-native's Client, made to read bigint as a number; or says plainly what to install: it is built from source, against libpq. */
function loadPgNative(): new () => PgNativeClient {
  try {
    const require = createRequire(import.meta.url);
    const Client = require("pg-native") as new (config: { types: TypeParsers }) => PgNativeClient;
    // pg-native's own parsers (pg-types, its dependency), with bigint as a number.
    const types = withBigintAsNumber(createRequire(require.resolve("pg-native"))("pg-types") as TypeParsers);
    return class extends Client {
      constructor() {
        super({ types });
      }
    };
  } catch (error) {
    throw new Error(
      `database.url names a PostgreSQL server, but pg-native (the synchronous driver) cannot be loaded: ${(error as Error).message.split("\n")[0]}. Install libpq's headers and a compiler (Debian: apt-get install libpq-dev python3 make g++), then pnpm install`,
    );
  }
}

/** The URL with the timeouts and keepalives this module relies on (what the URL sets itself wins). */
export function connectionString(url: string, options: PostgresOptions): string {
  const parsed = new URL(url);
  const defaults: Record<string, string> = {
    connect_timeout: String(Math.max(2, Math.ceil(options.connectTimeoutMs / 1000))),
    application_name: options.applicationName,
    keepalives: "1",
    keepalives_idle: "2",
    keepalives_interval: "1",
    keepalives_count: "3",
    // Data sent to a server that no longer acknowledges it: give up after the statement's time.
    tcp_user_timeout: String(options.statementTimeoutMs + 5_000),
    // No NOTICE (libpq prints them to stderr, outside the app's log): warnings and errors only.
    options: `-c statement_timeout=${options.statementTimeoutMs} -c idle_in_transaction_session_timeout=${options.statementTimeoutMs * 2} -c client_min_messages=warning`,
  };
  // Written out by hand: URLSearchParams writes a space as `+`, which libpq reads as itself.
  const added = Object.entries(defaults)
    .filter(([key]) => !parsed.searchParams.has(key))
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  if (added.length === 0) return url;
  return `${url}${parsed.search ? "&" : "?"}${added.join("&")}`;
}

/** The connections this process ended (see `#drop`). */
const finished: PgNativeClient[] = [];

export class PostgresDatabase implements Database {
  readonly dialect = "postgres";
  readonly #conninfo: string;
  /** Loaded at the first connection: a host that never queries never loads the native module. */
  #Client: (new () => PgNativeClient) | undefined;
  #client: PgNativeClient | undefined;
  /** Statement text → its prepared name on the current connection. */
  readonly #prepared = new Map<string, string>();

  constructor(url: string, options: PostgresOptions) {
    this.#conninfo = connectionString(url, options);
  }

  #connection(): PgNativeClient {
    if (this.#client) return this.#client;
    this.#Client ??= loadPgNative();
    const client = new this.#Client();
    try {
      client.connectSync(this.#conninfo);
    } catch (error) {
      throw Object.assign(databaseUnavailable("The database server cannot be reached right now; nothing was changed"), {
        cause: error,
      });
    }
    this.#client = client;
    this.#prepared.clear();
    return client;
  }

  /** Runs `work` on the connection; a broken connection is dropped and the call is a 503. */
  #call<T>(work: (client: PgNativeClient) => T): T {
    const client = this.#connection();
    try {
      return work(client);
    } catch (error) {
      const broken = client.pq.transactionStatus() === PQTRANS_UNKNOWN;
      if (broken) this.#drop();
      if (broken || isUnavailableState(client.pq.resultErrorFields()?.sqlState)) {
        throw Object.assign(databaseUnavailable(), { cause: error });
      }
      throw error;
    }
  }

  #drop(): void {
    try {
      this.#client?.end();
    } catch {
      // Already gone.
    }
    // Kept, never collected: a finished libpq connection collected by the GC aborted the process
    // (libuv's `uv__finish_close` assertion, its poll handle closed from the destructor), seen in
    // sync-api's supervisor right after its migrations, as it loaded the rest of its modules. One
    // small object per connection ended: a process ends few (its close, a reconnect).
    if (this.#client) finished.push(this.#client);
    this.#client = undefined;
    this.#prepared.clear();
  }

  #execute(client: PgNativeClient, sql: string, params: readonly Param[]): Row[] {
    let name = this.#prepared.get(sql);
    if (!name) {
      name = `s${this.#prepared.size + 1}`;
      client.prepareSync(name, sql, params.length);
      this.#prepared.set(sql, name);
    }
    return client.executeSync(name, textParams(params));
  }

  all<T = Row>(sql: string, params: readonly Param[] = []): T[] {
    return this.#call((client) => this.#execute(client, sql, params) as T[]);
  }

  get<T = Row>(sql: string, params: readonly Param[] = []): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  run(sql: string, params: readonly Param[] = []): number {
    return this.#call((client) => {
      this.#execute(client, sql, params);
      return Number(client.pq.cmdTuples() || 0);
    });
  }

  exec(sql: string): void {
    this.#call((client) => client.querySync(sql));
  }

  transaction<T>(work: () => T): T {
    this.exec("BEGIN");
    try {
      const result = work();
      this.exec("COMMIT");
      return result;
    } catch (error) {
      // Not on a connection that broke: the server rolled the transaction back with it.
      if (this.#client) {
        try {
          this.#client.querySync("ROLLBACK");
        } catch {
          this.#drop();
        }
      }
      throw error;
    }
  }

  close(): void {
    this.#drop();
  }
}
