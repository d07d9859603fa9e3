/**
 * Brings the database's schema up to date: once, before any host opens the database (sync-api's
 * supervisor before it forks, combined mode's main thread before its pool starts).
 */
import { migrate } from "./migrate.ts";
import { type DatabaseSettings, openDatabase } from "./open.ts";

export function prepareDatabase(settings: { readonly database: DatabaseSettings }): { from: number; to: number } {
  const db = openDatabase(settings.database, "sync-api migrations");
  try {
    return migrate(db);
  } finally {
    db.close();
  }
}
