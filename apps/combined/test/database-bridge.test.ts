/**
 * The database bridge against sync-api's own PostgreSQL adapter, on a real server: the same calls,
 * once through PostgresDatabase (pg-native, in this thread) and once from a worker thread through
 * the bridge (node-postgres on this thread), give the same rows, counts and failures, so the same
 * handlers and stores run on either.
 */
import { Worker } from "node:worker_threads";
import { openDatabase } from "@repo/sync-api/host";
import { type PostgresServer, postgresMissing, runsHere, startPostgres } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseBridge } from "../src/pool/database-bridge.ts";
import { type Call, type Outcome, outcomeOf } from "./fixtures/calls.ts";

let pg: PostgresServer | undefined;
afterAll(async () => {
  await pg?.remove();
});

const settings = (url: string) => ({
  url,
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 300,
  busyTimeoutMs: 0,
  synchronous: "NORMAL" as const,
});

const AT = "2024-02-29T12:34:56.789Z";
const CALLS: Call[] = [
  {
    method: "exec",
    sql: "CREATE TABLE t (id serial PRIMARY KEY, n int, big bigint, price numeric, at timestamptz, day date, doc jsonb, tags text[], ok boolean, name text UNIQUE)",
  },
  {
    method: "run",
    sql: "INSERT INTO t (n, big, price, at, day, doc, tags, ok, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    params: [7, "9007199254740991", "12.50", AT, "2024-02-29", JSON.stringify({ a: [1, "x"] }), "{a,b}", "true", "one"],
  },
  { method: "run", sql: "INSERT INTO t (n, name) VALUES ($1, $2)", params: [null, "two"] },
  { method: "all", sql: "SELECT * FROM t ORDER BY id" },
  { method: "get", sql: "SELECT count(*) AS c, sum(n) AS s, max(at) AS latest, avg(n) AS mean FROM t" },
  { method: "get", sql: "SELECT * FROM t WHERE id = $1", params: [999] },
  { method: "run", sql: "UPDATE t SET n = coalesce(n, 0) + 1" },
  { method: "run", sql: "DELETE FROM t WHERE false" },
  {
    method: "transaction",
    calls: [
      { method: "get", sql: "INSERT INTO t (name) VALUES ($1) RETURNING id", params: ["three"] },
      { method: "get", sql: "SELECT count(*)::int AS c FROM t" },
    ],
  },
  { method: "transaction", fail: true, calls: [{ method: "run", sql: "INSERT INTO t (name) VALUES ('rolled back')" }] },
  {
    method: "transaction",
    calls: [{ method: "run", sql: "INSERT INTO t (name) VALUES ($1)", params: ["one"] }],
  },
  { method: "all", sql: "SELECT name FROM t ORDER BY id" },
  { method: "get", sql: "SELEC 1" },
  { method: "get", sql: "SELECT 9007199254740993::bigint AS past" },
  { method: "get", sql: "SELECT $1::text AS nul", params: ["a\u0000b"] },
  { method: "get", sql: "SELECT pg_sleep(2)" },
  { method: "get", sql: "SELECT 1 AS one" },
];

/**
 * The calls made from a worker thread through a bridge on this thread; without one (`bridge:
 * false`), nothing on this thread answers the thread's channel.
 */
async function throughTheBridge(url: string, calls = CALLS, { bridge: served = true } = {}): Promise<Outcome[]> {
  const bridge = new DatabaseBridge(settings(url), 1);
  const worker = new Worker(new URL("./fixtures/bridged-calls.ts", import.meta.url), {
    workerData: { settings: settings(url), calls },
    execArgv: ["--conditions=@repo/source"],
  });
  try {
    return await new Promise<Outcome[]>((resolve, reject) => {
      worker.on("message", (message: { outcomes?: Outcome[] }) => {
        if (!(served && bridge.accept(message)) && message.outcomes) resolve(message.outcomes);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => reject(new Error(`the thread exited (${code}) without its outcomes`)));
    });
  } finally {
    await worker.terminate();
    await bridge.close();
  }
}

describe.skipIf(!runsHere("the database bridge on PostgreSQL", postgresMissing()))("the database bridge", () => {
  it("answers every call as PostgresDatabase does: rows and their types, counts, transactions, errors, 503s", async () => {
    pg = await startPostgres();
    const direct = openDatabase(settings(pg.createDatabase("direct")), "bridge test");
    const expected = CALLS.map((call) => outcomeOf(direct, call));
    direct.close();
    const bridged = await throughTheBridge(pg.createDatabase("bridged"));
    expect(bridged).toEqual(expected);

    // What the comparison rests on, spelled out: pg-types' parsers on both sides (bigint a number,
    // numeric text, timestamptz a Date), and the failures sorted: errors (a rollback on purpose, a
    // duplicate, bad SQL, a bigint past 2^53, a NUL in text), a 503 (past the statement timeout).
    expect(expected[3]).toMatchObject({
      value: [
        {
          n: 7,
          big: 9007199254740991,
          price: "12.50",
          at: new Date(AT),
          doc: { a: [1, "x"] },
          tags: ["a", "b"],
          ok: true,
        },
        { n: null, name: "two" },
      ],
    });
    expect(expected[4]).toMatchObject({ value: { c: 2, s: 7 } });
    expect(expected.slice(9)).toEqual([
      { thrown: { problem: false } },
      { thrown: { problem: false } },
      { value: [{ name: "one" }, { name: "two" }, { name: "three" }] },
      { thrown: { problem: false } },
      { thrown: { problem: false } },
      { thrown: { problem: false } },
      { thrown: { problem: true, status: 503, retryAfter: "5" } },
      { value: { one: 1 } },
    ]);
  }, 60_000);

  it("a thread waits for the main thread within the database's bounds only: unanswered, a call is a 503", async () => {
    pg ??= await startPostgres();
    const outcomes = await throughTheBridge(pg.url, [{ method: "get", sql: "SELECT 1" }], { bridge: false });
    expect(outcomes).toEqual([{ thrown: { problem: true, status: 503, retryAfter: "5" } }]);
  }, 60_000);
});
