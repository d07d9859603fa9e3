/**
 * Opens the database `database.url` names: a `postgres://` (or `postgresql://`) URL for a
 * PostgreSQL server, anything else the path of a SQLite file (the default). Each process or thread
 * that runs handlers opens its own: both drivers are synchronous, one connection per host.
 */
import { describePostgresUrl, isPostgresUrl } from "@repo/shared-settings";
import type { Database } from "./database.ts";
import { PostgresDatabase } from "./postgres.ts";
import { SqliteDatabase, type SqliteOptions } from "./sqlite.ts";

/** The `database` settings (src/settings/index.ts). */
export interface DatabaseSettings extends SqliteOptions {
  /** A PostgreSQL URL, or a SQLite file's path. */
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export function openDatabase(settings: DatabaseSettings, applicationName = "sync-api"): Database {
  if (isPostgresUrl(settings.url)) {
    return new PostgresDatabase(settings.url, {
      connectTimeoutMs: settings.connectTimeoutMs,
      statementTimeoutMs: settings.statementTimeoutMs,
      applicationName,
    });
  }
  return new SqliteDatabase(settings.url, settings);
}

/** Where the database is, for a log line or a message: the file, or the server (no password). */
export function databaseWhere(settings: Pick<DatabaseSettings, "url">): string {
  return isPostgresUrl(settings.url) ? describePostgresUrl(settings.url) : settings.url;
}
