/**
 * Combined mode on a real PostgreSQL server (Debian's, started for these tests): its pool threads
 * reach the server through the main thread's database bridge, several at once, with sync-api's
 * guarantees: transactions kept apart, a 503 problem with Retry-After while the server cannot
 * answer, recovery by itself, no thread waiting without a bound, nothing left open by a thread that
 * was ended mid-transaction. Nothing here is timed.
 */
import { join } from "node:path";
import { NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  descendantsOf,
  type PostgresServer,
  postgresBin,
  postgresMissing,
  runsHere,
  startPostgres,
  startProcess,
  stopAll,
  unexpectedAnswers,
  type WriteAnswer,
  waitFor,
  writeAnswer,
  writeThroughRestart,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startCombined } from "./support.ts";

const servers: PostgresServer[] = [];
afterEach(async () => {
  await stopAll();
  for (const server of servers.splice(0)) await server.remove();
});

async function server(): Promise<PostgresServer> {
  const started = await startPostgres();
  servers.push(started);
  return started;
}

const token = () => signToken(developmentAuth, { subject: "combined-pg", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });

/** POST /notes, as a WriteAnswer. */
async function createNote(url: string, bearer: string, title: string): Promise<WriteAnswer> {
  return writeAnswer(
    await fetch(`${url}/notes`, {
      method: "POST",
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
      body: JSON.stringify({ title }),
    }),
  );
}

/**
 * A psql session that holds an exclusive lock on `notes`: statements on it wait until `release()`
 * ends the session (its server side: the server notices a client gone only when it writes to it).
 */
async function lockNotes(pg: PostgresServer, database: string) {
  const psql = join(postgresBin() as string, "psql");
  const holder = startProcess(psql, [
    ...["-X", "-q", "-c", "BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)"],
    `postgres://postgres@127.0.0.1:${pg.port}/${database}?application_name=lock-holder`,
  ]);
  await waitFor("the lock on notes held", async () =>
    pg
      .psql(
        database,
        "SELECT count(*) FROM pg_locks WHERE relation = 'notes'::regclass AND granted AND mode = 'AccessExclusiveLock'",
      )
      .trim() === "1"
      ? true
      : undefined,
  );
  return {
    async release() {
      pg.psql(
        database,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'",
      );
      await holder.stop("SIGTERM");
    },
  };
}

describe.skipIf(!runsHere("combined mode on PostgreSQL", postgresMissing()))("combined mode on PostgreSQL", () => {
  it("four threads serve the notes routes at once, each transaction kept apart on its own connection", async () => {
    const pg = await server();
    const { app, url } = await startCombined({
      ASYNC_API_COMBINED__THREADS: "4",
      SYNC_API_DATABASE__URL: pg.createDatabase("threads"),
    });
    const bearer = await token();

    // Writes from many requests at once: the four threads write concurrently.
    const created = await Promise.all(Array.from({ length: 80 }, (_, i) => createNote(url, bearer, `note ${i}`)));
    expect(created.map((c) => c.status)).toEqual(created.map(() => 201));
    const ids = created.map((c) => c.id as number);
    expect(new Set(ids).size).toBe(80);

    // Reads and lists, concurrently too: each note as written, every note in the list.
    const [reads, list] = await Promise.all([
      Promise.all(ids.map(async (id) => (await fetch(`${url}/notes/${id}`)).json() as Promise<{ id: number }>)),
      fetch(`${url}/notes?limit=100`).then((r) => r.json() as Promise<{ items: { id: number }[] }>),
    ]);
    expect(reads.map((note) => note.id)).toEqual(ids);
    expect(list.items.map((note) => note.id)).toEqual([...ids].sort((a, b) => b - a));

    // Each write is one transaction holding the outbox's advisory lock from its first statement to
    // its commit: on its own connection, the note and its event commit together, one write at a
    // time, so the events are in the notes' order. Statements sent on whichever connection was free
    // would release the lock at once and interleave.
    const events = pg.psql("threads", "SELECT string_agg(note_id::text, ',' ORDER BY id) FROM note_events").trim();
    expect(events).toBe([...ids].sort((a, b) => a - b).join(","));
    // One connection per thread at most, none left inside a transaction.
    const connections = pg
      .psql(
        "threads",
        "SELECT count(*) || ' ' || count(*) FILTER (WHERE state LIKE 'idle in transaction%') FROM pg_stat_activity WHERE application_name = 'sync-api (combined)'",
      )
      .trim()
      .split(" ")
      .map(Number);
    expect(connections[0]).toBeGreaterThan(0);
    expect(connections[0]).toBeLessThanOrEqual(4);
    expect(connections[1]).toBe(0);

    // SIGTERM: the threads end, then the bridge's connections, and the process exits cleanly.
    expect(await app.stop("SIGTERM")).toMatchObject({ code: 0 });
    await waitFor("the bridge's connections closed", async () =>
      pg
        .psql("threads", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sync-api (combined)'")
        .trim() === "0"
        ? true
        : undefined,
    );
  }, 60_000);

  it("a restart of the server under write load: 503 problems with Retry-After while it is down, no acknowledged write lost, and the same process serves again once it is back", async () => {
    const pg = await server();
    const { app, url } = await startCombined({
      ASYNC_API_COMBINED__THREADS: "4",
      SYNC_API_DATABASE__URL: pg.createDatabase("restart"),
    });
    const bearer = await token();

    const { answers, acknowledged } = await writeThroughRestart(pg, (i) => createNote(url, bearer, `write ${i}`), 4);

    // Nothing but 201s and 503 problems with Retry-After: no 500, no 504 (a thread stuck), no hang.
    expect(unexpectedAnswers(answers)).toEqual([]);
    for (const id of acknowledged) expect((await fetch(`${url}/notes/${id}`)).status, `note ${id}`).toBe(200);
    // Recovered by itself: the same process, still up.
    expect(app.exitReason()).toBeUndefined();
  }, 120_000);

  it("a statement past database.statementTimeoutMs is a 503 problem, and the thread serves the next request", async () => {
    const pg = await server();
    const database = "timeout";
    const { url } = await startCombined({
      // One thread: the request after the timeout is served by the very thread that met it.
      ASYNC_API_COMBINED__THREADS: "1",
      SYNC_API_DATABASE__URL: pg.createDatabase(database),
      SYNC_API_DATABASE__STATEMENT_TIMEOUT_MS: "300",
    });
    const first = await createNote(url, await token(), "before the lock");
    expect(first.status).toBe(201);

    const holder = await lockNotes(pg, database);
    const blocked = await fetch(`${url}/notes/${first.id}`);
    expect(blocked.status).toBe(503);
    expect(blocked.headers.get("retry-after")).toBe("5");
    expect(blocked.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    await holder.release();

    const read = await fetch(`${url}/notes/${first.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: first.id, title: "before the lock" });
  }, 60_000);

  it("a server that stops answering: 503 problems within the database's bounds (not the task timeout's 504), and service again once it answers", async () => {
    const pg = await server();
    const { url } = await startCombined({
      ASYNC_API_COMBINED__THREADS: "2",
      SYNC_API_DATABASE__URL: pg.createDatabase("silent"),
      SYNC_API_DATABASE__STATEMENT_TIMEOUT_MS: "500",
      SYNC_API_DATABASE__CONNECT_TIMEOUT_MS: "500",
      ASYNC_API_COMBINED__TASK_TIMEOUT_MS: "60000",
    });
    const bearer = await token();
    expect((await createNote(url, bearer, "before")).status).toBe(201);

    // Every process of the server stopped: connections stay open, nothing answers.
    const processes = [pg.process.pid, ...descendantsOf(pg.process.pid)];
    const signal = (name: NodeJS.Signals) => {
      for (const pid of processes) process.kill(pid, name);
    };
    signal("SIGSTOP");
    let silent: Awaited<ReturnType<typeof createNote>>[];
    try {
      silent = await Promise.all([createNote(url, bearer, "silent 1"), createNote(url, bearer, "silent 2")]);
    } finally {
      signal("SIGCONT");
    }
    for (const answer of silent) {
      expect(answer).toMatchObject({
        status: 503,
        retryAfter: "5",
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }
    await waitFor("a write once the server answers", async () =>
      (await createNote(url, bearer, "after")).status === 201 ? true : undefined,
    );
  }, 60_000);

  it("a thread ended mid-transaction (its task past combined.taskTimeoutMs): the transaction rolled back, its connection let go", async () => {
    const pg = await server();
    const database = "ended";
    const { url } = await startCombined({
      // One thread, so one connection: a connection left held would refuse every later write.
      ASYNC_API_COMBINED__THREADS: "1",
      ASYNC_API_COMBINED__TASK_TIMEOUT_MS: "500",
      SYNC_API_DATABASE__URL: pg.createDatabase(database),
    });
    const bearer = await token();

    // The write begins its transaction, then waits on the lock; its thread is ended under it.
    const holder = await lockNotes(pg, database);
    const ended = await createNote(url, bearer, "never committed");
    expect(ended.status).toBe(504);
    await holder.release();

    // Each attempt its own title: an attempt may itself pass the 500 ms (the new thread still
    // starting) and be ended after its COMMIT, a 504 for a row that stays, as with any deadline.
    const attempts: string[] = [];
    const answered = await waitFor("a write on the new thread", async () => {
      const title = `attempt ${attempts.length + 1}`;
      attempts.push(title);
      return (await createNote(url, bearer, title)).status === 201 ? title : undefined;
    });
    const titles = pg.psql(database, "SELECT string_agg(title, ',' ORDER BY title) FROM notes").trim().split(",");
    expect(titles).not.toContain("never committed");
    expect(titles).toContain(answered);
    expect(attempts).toEqual(expect.arrayContaining(titles));
    expect(
      pg
        .psql(
          database,
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sync-api (combined)' AND state LIKE 'idle in transaction%'",
        )
        .trim(),
    ).toBe("0");
  }, 60_000);
});
