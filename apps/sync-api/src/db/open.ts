/**
 * Opens the database `database.url` names: a `postgres://` (or `postgresql://`) URL for a
 * PostgreSQL server, anything else the path of a SQLite file (the default). Each process or thread
 * that runs handlers opens its own: both drivers are synchronous, one connection per host.
 */
import type { Database } from "./database.ts";
import { describeUrl, PostgresDatabase } from "./postgres.ts";
import { SqliteDatabase, type SqliteOptions } from "./sqlite.ts";

/** The `database` settings (src/settings/index.ts). */
export interface DatabaseSettings extends SqliteOptions {
  /** A PostgreSQL URL, or a SQLite file's path. */
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
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

/**
 * What of `database.url` must never reach a log: a PostgreSQL URL and its password (as written and
 * decoded). A SQLite file's path is no secret: its log lines keep it.
 */
export function databaseSecrets(url: string): string[] {
  if (!isPostgresUrl(url)) return [];
  const password = new URL(url).password;
  return password ? [url, password, decodeURIComponent(password)] : [url];
}

/** Where the database is, for a log line or a message: the file, or the server (no password). */
export function databaseWhere(settings: Pick<DatabaseSettings, "url">): string {
  return isPostgresUrl(settings.url) ? describeUrl(settings.url) : settings.url;
}
