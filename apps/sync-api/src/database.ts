import type { DatabaseSync } from "node:sqlite";
import { MIGRATIONS, type Migration } from "./migrations/index.ts";
import { openDatabase, unavailable } from "./sqlite.ts";

/** Where a database stands against this build's steps (`pnpm db:status`). */
export interface SchemaStatus {
  /** The steps it has had (`PRAGMA user_version`). */
  readonly version: number;
  /** The steps this build knows. */
  readonly latest: number;
  /** The names of the steps it has not had yet, in order. */
  readonly pending: readonly string[];
}

/** The database is newer than this build: it was migrated by a later one. */
export class DatabaseNewerThanCode extends Error {
  override readonly name = "DatabaseNewerThanCode";
}

function userVersion(db: DatabaseSync): number {
  return Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
}

/** Which steps a database has had, and which it has not. */
export function schemaStatus(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): SchemaStatus {
  const version = userVersion(db);
  return { version, latest: migrations.length, pending: migrations.slice(version).map((m) => m.name) };
}

/**
 * Brings the schema up to date, in one write transaction, so that concurrent starters cannot
 * apply a step twice. sync-api's supervisor runs it once, before it forks any worker. A database
 * newer than this build is refused, never touched: an older build that set `user_version` back
 * would have the newer one apply its steps again on tables that exist (a rollback does exactly
 * this, unless refused).
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = userVersion(db);
    if (from > migrations.length) {
      throw new DatabaseNewerThanCode(
        `the database is at schema version ${from}, newer than this build's ${migrations.length}: a later build migrated it. Run that build (or a later one), or restore a backup taken before it; this build will not change it`,
      );
    }
    for (const migration of migrations.slice(from)) db.exec(migration.sqlite);
    db.exec(`PRAGMA user_version = ${migrations.length}`);
    db.exec("COMMIT");
    return { from, to: migrations.length };
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Runs `work` in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
 * workers never both read and then fail to upgrade to writing (SQLITE_BUSY mid-transaction): the
 * second waits for the lock, up to the busy timeout.
 */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      // A failed COMMIT (a full disk, an I/O error) may have rolled back already.
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  } catch (error) {
    throw unavailable(error) ?? error;
  }
}

/**
 * Brings the database schema up to date. Runs once, before any host opens the database (the
 * cluster's supervisor, combined mode's main thread).
 */
export function prepareDatabase(settings: {
  readonly database: { readonly path: string } & Parameters<typeof openDatabase>[1];
}): { from: number; to: number } {
  const db = openDatabase(settings.database.path, settings.database);
  try {
    return migrate(db);
  } finally {
    db.close();
  }
}
