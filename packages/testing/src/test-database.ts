import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createDatabaseOn } from "./postgres.ts";

/**
 * The variable that puts a test run's apps on PostgreSQL: a server's `postgres` database URL
 * (the `postgres` Vitest project's global setup starts the server and sets it in each worker).
 */
export const TEST_POSTGRES_VARIABLE = "REPO_TESTING_POSTGRES";

/**
 * sync-api's `database.url` for an app a test starts: a fresh SQLite file in `dir` (`file`), or,
 * in a run on PostgreSQL (REPO_TESTING_POSTGRES), a fresh database on that run's server. The
 * suites that run on both databases start their apps with it and never know which they have.
 */
export function testDatabaseUrl(dir: string, file = "sync-api.sqlite"): string {
  const server = process.env[TEST_POSTGRES_VARIABLE];
  if (!server) return join(dir, file);
  return createDatabaseOn(server, `test_${randomUUID().replaceAll("-", "").slice(0, 16)}`);
}

/** Whether this run's apps are on PostgreSQL: for the few checks that read SQLite's file itself. */
export function testsOnPostgres(): boolean {
  return Boolean(process.env[TEST_POSTGRES_VARIABLE]);
}
