/**
 * The `postgres` project's global setup (vitest.config.ts): one throwaway PostgreSQL server for
 * the run, on which every app the files start gets a database of its own (testDatabaseUrl of
 * @repo/testing). The files are the same as in the `workspace` project: only the database differs.
 *
 * Where PostgreSQL is not installed, the files are skipped (postgres-env.ts), with the reason
 * kept for `pnpm test`'s closing line; under CI=true that is an error instead (runsHere).
 */
import { postgresMissing, runsHere, startPostgres } from "@repo/testing";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  interface ProvidedContext {
    /** The run's server (its `postgres` database's URL), or undefined where PostgreSQL is missing. */
    postgresUrl: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!runsHere("the suites on PostgreSQL", postgresMissing())) {
    project.provide("postgresUrl", undefined);
    return undefined;
  }
  // Each file's stacks hold a connection per sync-api worker, two files at a time.
  const server = await startPostgres({ maxConnections: 300 });
  project.provide("postgresUrl", server.url);
  return () => server.remove();
}
