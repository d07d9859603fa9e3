/**
 * sync-api on a real PostgreSQL server (Debian's, started for these tests), where a server can
 * fail in ways a SQLite file cannot: a statement past its timeout, every connection taken, a URL
 * whose password must never reach a log. (A restart of the server under load is tested where
 * there are writes to make: the example resource's tests.)
 */
import { type PostgresServer, postgresMissing, runsHere, startPostgres, stopAll, waitFor } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresDatabase } from "../src/db/postgres.ts";
import { startSyncApi } from "./support.ts";

const servers: PostgresServer[] = [];
afterAll(async () => {
  await stopAll();
  for (const server of servers) await server.remove();
});

async function server(options: Parameters<typeof startPostgres>[0] = {}): Promise<PostgresServer> {
  const started = await startPostgres(options);
  servers.push(started);
  return started;
}

const connect = (url: string, statementTimeoutMs = 5_000) =>
  new PostgresDatabase(url, { connectTimeoutMs: 2_000, statementTimeoutMs, applicationName: "postgres test" });

/** The HttpProblem a call threw, or a failure of the test if it threw anything else or nothing. */
function problemOf(call: () => unknown): { status: number; headers: Record<string, string> } {
  try {
    call();
  } catch (error) {
    return error as { status: number; headers: Record<string, string> };
  }
  throw new Error("the call did not fail");
}

describe.skipIf(!runsHere("sync-api on PostgreSQL", postgresMissing()))("sync-api on PostgreSQL", () => {
  it("a statement past database.statementTimeoutMs is a 503 problem, and the connection serves the next one", async () => {
    const pg = await server();
    const db = connect(pg.createDatabase("timeout"), 300);
    expect(problemOf(() => db.get("SELECT pg_sleep(2)"))).toMatchObject({
      status: 503,
      headers: { "retry-after": "5" },
    });
    expect(db.get("SELECT 1 AS one")).toEqual({ one: 1 });
    db.close();
  });

  it("every connection taken: a 503 problem until one is free", async () => {
    const pg = await server({ maxConnections: 5 });
    const url = pg.createDatabase("full");
    const held = Array.from({ length: 5 }, () => connect(url));
    for (const db of held) db.get("SELECT 1");
    const one = connect(url);
    expect(problemOf(() => one.get("SELECT 1"))).toMatchObject({ status: 503 });
    held.pop()?.close();
    await waitFor("a free connection", async () => {
      try {
        return one.get<{ ok: number }>("SELECT 1 AS ok");
      } catch {
        return undefined;
      }
    });
    for (const db of [...held, one]) db.close();
  });

  it("never prints the URL's password: not in the settings it logs, not in a line naming the database", async () => {
    const pg = await server();
    // The test server trusts every login on 127.0.0.1: the password is sent and ignored.
    const url = pg.createDatabase("secret").replace("postgres@", "postgres:s3cr3t-pa55@");
    const { app } = await startSyncApi(1, { SYNC_API_DATABASE__URL: url, SYNC_API_LOG__LEVEL: "debug" });
    await app.stop("SIGTERM");
    expect(app.output()).toContain(`postgres://127.0.0.1:${pg.port}/secret`);
    expect(app.output()).not.toContain("s3cr3t-pa55");
  });
});
