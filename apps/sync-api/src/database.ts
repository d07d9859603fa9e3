import type { DatabaseSync } from "node:sqlite";
import { unavailable } from "./sqlite.ts";

/**
 * Schema versions, in order; `PRAGMA user_version` records how many have been applied. Add the
 * app's own tables as new steps at the end: a step that has run is never edited.
 */
const MIGRATIONS: readonly string[] = [
  // #region example
  `CREATE TABLE notes (
     id         INTEGER PRIMARY KEY AUTOINCREMENT,
     title      TEXT NOT NULL,
     body       TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  // The outbox: one row per change, written in the change's transaction (see NotesStore).
  `CREATE TABLE note_events (
     id      INTEGER PRIMARY KEY AUTOINCREMENT,
     type    TEXT NOT NULL CHECK (type IN ('created', 'updated', 'deleted')),
     note_id INTEGER NOT NULL,
     note    TEXT,
     at      TEXT NOT NULL
   )`,
  // #endregion example
];

/**
 * Brings the schema up to date, in one write transaction, so that concurrent starters cannot
 * apply a step twice. sync-api's supervisor runs it once, before it forks any worker.
 */
export function migrate(db: DatabaseSync): { from: number; to: number } {
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
    for (let version = from; version < MIGRATIONS.length; version++) db.exec(MIGRATIONS[version] as string);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    db.exec("COMMIT");
    return { from, to: MIGRATIONS.length };
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
