/**
 * What sync-api's handlers and stores see of the database: synchronous calls on this host's one
 * connection, whichever database `database.url` chose (SQLite, the default, or PostgreSQL). SQL
 * is written once, with PostgreSQL's `$1, $2…` parameters (SQLite runs it as `?1, ?2…`); where the
 * two dialects differ (a schema, a sequence), `dialect` tells the store which statement to run.
 * No handler knows which database it has.
 */
import { HttpProblem } from "@repo/contracts";

export type Dialect = "sqlite" | "postgres";
export type Row = Record<string, unknown>;
/** What a statement takes: text, numbers and null (dates and objects are serialised first). */
export type Param = string | number | null;

export interface Database {
  readonly dialect: Dialect;
  /** Every row a statement returns. */
  all<T = Row>(sql: string, params?: readonly Param[]): T[];
  /** The first row a statement returns, if any. */
  get<T = Row>(sql: string, params?: readonly Param[]): T | undefined;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly Param[]): number;
  /** Runs statements without parameters (a migration step). */
  exec(sql: string): void;
  /**
   * Runs `work` in one transaction: committed if it returns, rolled back if it throws. Writers
   * take the write lock up front (SQLite's BEGIN IMMEDIATE), so two never both read and then
   * fail to write.
   */
  transaction<T>(work: () => T): T;
  close(): void;
}

/** The database is newer than this build: it was migrated by a later one. */
export class DatabaseNewerThanCode extends Error {
  override readonly name = "DatabaseNewerThanCode";
}

/** How long a client waits before trying again when the database cannot answer now. */
export const RETRY_AFTER_S = 5;

/**
 * The 503 problem for a database that cannot answer now through no fault of the request (busy,
 * full, read-only, the server gone or restarting, a statement past its timeout). Nothing was
 * committed, or the commit's outcome is unknown: either way the write was not acknowledged.
 */
export function databaseUnavailable(
  detail = "The database cannot take this request right now; nothing was changed",
): HttpProblem {
  return new HttpProblem(503, detail, {}, { "retry-after": String(RETRY_AFTER_S) });
}
