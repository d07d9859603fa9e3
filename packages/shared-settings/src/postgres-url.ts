/**
 * A PostgreSQL URL in a setting (sync-api's `database.url`, and a URL async-api listens on),
 * read without a driver: which settings name a server, where it is for a log line, and what of
 * it must never reach one.
 */

/** Whether a setting names a PostgreSQL server (`postgres://`, `postgresql://`) rather than a file's path. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The server and database a URL names, without its credentials: for logs. */
export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}

/**
 * What of a setting must never reach a log: a PostgreSQL URL and its password (as written and
 * decoded). A file's path is no secret: its log lines keep it.
 */
export function postgresUrlSecrets(url: string): string[] {
  if (!isPostgresUrl(url)) return [];
  const { password } = new URL(url);
  return password ? [url, password, decodeURIComponent(password)] : [url];
}
