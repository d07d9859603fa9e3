/**
 * sync-api on a real PostgreSQL server (Debian's, started for these tests), where a server can
 * fail in ways a SQLite file cannot: the server restarted under load (503 problems while it is
 * down, no acknowledged write lost, recovery without restarting the app), a statement past its
 * timeout, every connection taken, a wrong password (never in a log).
 */
import { NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  descendantsOf,
  type PostgresServer,
  postgresMissing,
  runsHere,
  startPostgres,
  stopAll,
  waitFor,
} from "@repo/testing";
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
  it("a restart of the server under load: 503 problems with Retry-After while it is down, no acknowledged write lost, and the same workers serve again once it is back", async () => {
    const pg = await server();
    const { app, url } = await startSyncApi(2, { SYNC_API_DATABASE__URL: pg.createDatabase("restart") });
    const workers = descendantsOf(app.pid);
    const token = await signToken(developmentAuth, { subject: "restart", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });

    const acknowledged: number[] = [];
    const answers: { status: number; retryAfter: string | null; type: string | null }[] = [];
    let running = true;
    const writer = async () => {
      for (let i = 0; running; i++) {
        const response = await fetch(`${url}/notes`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ title: `write ${i}` }),
        });
        const body = (await response.json()) as { id?: number };
        answers.push({
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          type: response.headers.get("content-type"),
        });
        if (response.status === 201 && body.id) acknowledged.push(body.id);
      }
    };
    const writers = [writer(), writer(), writer()];
    await waitFor("writes before the restart", async () => (acknowledged.length >= 20 ? true : undefined));
    await pg.stop();
    await waitFor("503s while the server is down", async () =>
      answers.some((a) => a.status === 503) ? true : undefined,
    );
    await pg.start();
    const before = acknowledged.length;
    await waitFor("writes after the restart", async () => (acknowledged.length >= before + 20 ? true : undefined), {
      timeoutMs: 30_000,
    });
    running = false;
    await Promise.all(writers);

    // Nothing but 201s and 503 problems with Retry-After: no 500, no hang, no lost connection.
    const others = answers.filter((a) => a.status !== 201 && a.status !== 503);
    expect(others).toEqual([]);
    for (const refused of answers.filter((a) => a.status === 503)) {
      expect(refused).toEqual({
        status: 503,
        retryAfter: "5",
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }
    // Every write a client was told about is there.
    for (const id of acknowledged) expect((await fetch(`${url}/notes/${id}`)).status, `note ${id}`).toBe(200);
    // Recovered by itself: the workers that started are the ones serving.
    expect(descendantsOf(app.pid)).toEqual(workers);
  }, 120_000);

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
