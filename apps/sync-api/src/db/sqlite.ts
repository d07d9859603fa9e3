/** SQLite as every process of sync-api opens it (node:sqlite): the default database, and the rate-limit store's file. */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Database, databaseUnavailable, type Param, type Row } from "./database.ts";

/**
 * When a commit is on disk (`PRAGMA synchronous`, under WAL). NORMAL: durable against a crash of
 * the process, but a power loss or kernel crash may lose the last commits, a 201 already sent
 * among them. FULL: an fsync per commit, durable against both (docs/deploy.md has the cost).
 */
export const SYNCHRONOUS_MODES = ["NORMAL", "FULL"] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export interface SqliteOptions {
  /** How long a write waits for another process's write lock before it fails. */
  readonly busyTimeoutMs: number;
  readonly synchronous?: SynchronousMode;
}

/**
 * Opens the SQLite file the way every process of sync-api must: WAL, so readers never wait for the
 * one writer; a busy timeout, so a worker that meets another's write lock waits for it instead of
 * failing with SQLITE_BUSY; `synchronous` as asked (NORMAL unless told); foreign keys on.
 */
function openSqliteFile(path: string, { busyTimeoutMs, synchronous = "NORMAL" }: SqliteOptions): DatabaseSync {
  // Checked again here, before anything is opened, because it is written into a statement.
  if (!SYNCHRONOUS_MODES.includes(synchronous)) throw new Error(`unknown synchronous mode ${String(synchronous)}`);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.exec("PRAGMA journal_mode = WAL");
  // A per-connection setting, not stored in the file: every connection sets it.
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

/**
 * SQLite's primary result codes for a database that cannot take a write now, through no fault of
 * the request: busy past the busy timeout, read-only, an I/O error, a full disk, a file it cannot
 * open.
 */
const UNAVAILABLE_CODES = new Set([5, 8, 10, 13, 14]);

/** Whether an error from node:sqlite says the database cannot be written now (the client may try again). */
export function isSqliteUnavailable(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === "number" && UNAVAILABLE_CODES.has(code & 0xff);
}

/** `$1` → `?1`: SQLite numbers its parameters so, and binds them by that number. */
const sqliteParameters = (sql: string) => sql.replace(/\$(\d+)/g, "?$1");

/** A SQLite file behind the Database interface; each statement prepared once per connection. */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite";
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string, options: SqliteOptions) {
    this.#db = openSqliteFile(path, options);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sqliteParameters(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isSqliteUnavailable(error)) throw databaseUnavailable();
      throw error;
    }
  }

  all<T = Row>(sql: string, params: readonly Param[] = []): T[] {
    return this.#guard(() => this.#statement(sql).all(...params) as T[]);
  }

  get<T = Row>(sql: string, params: readonly Param[] = []): T | undefined {
    return this.#guard(() => this.#statement(sql).get(...params) as T | undefined);
  }

  run(sql: string, params: readonly Param[] = []): number {
    return this.#guard(() => Number(this.#statement(sql).run(...params).changes));
  }

  exec(sql: string): void {
    this.#guard(() => this.#db.exec(sql));
  }

  transaction<T>(work: () => T): T {
    return this.#guard(() => {
      // IMMEDIATE: the write lock up front, waited for up to the busy timeout.
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = work();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        // A failed COMMIT (a full disk, an I/O error) may have rolled back already.
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  close(): void {
    this.#db.close();
  }
}
