/**
 * `noteEvents.listenUrl`, read without a driver: the settings check it, the server decides whether
 * to listen, and the logs name the server without the password.
 */

/** A `postgres://` (or `postgresql://`) URL: anything else in `noteEvents.listenUrl` means polling only. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/./i.test(url) && URL.canParse(url);
}

/** The server and database a URL names, without its credentials: for logs. */
export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}

/** What of a URL must never reach a log: the URL and its password, as written and decoded. */
export function postgresUrlSecrets(url: string): string[] {
  if (!isPostgresUrl(url)) return [];
  const { password } = new URL(url);
  return password ? [url, password, decodeURIComponent(password)] : [url];
}
