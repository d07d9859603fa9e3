/**
 * The rate-limit counter itself, on both databases, real ones (SQLite files; a throwaway
 * PostgreSQL server), with a clock the test moves (no waiting): one count across connections, as
 * the workers of a host (SQLite) or of every host (PostgreSQL) share it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpProblem } from "@repo/contracts";
import { type PostgresServer, postgresMissing, runsHere, startPostgres, stopAll } from "@repo/testing";
import type { Options } from "express-rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import { migrate } from "../src/db/migrate.ts";
import { PostgresDatabase } from "../src/db/postgres.ts";
import { SqliteDatabase } from "../src/db/sqlite.ts";
import { openRateLimitDatabase, RateLimitCounter } from "../src/http/rate-limit-store.ts";

let server: PostgresServer | undefined;
const postgresHere = runsHere("the rate-limit counter on PostgreSQL", postgresMissing());
beforeAll(async () => {
  if (postgresHere) server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.remove();
  await stopAll();
});

let made = 0;
const connect = (url: string) =>
  new PostgresDatabase(url, { connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, applicationName: "rate-limit test" });

/** Each database: a way to open one store twice (two workers), and to make it unwritable. */
const databases = [
  {
    name: "SQLite",
    skip: false,
    open: () => {
      const path = join(mkdtempSync(join(tmpdir(), "rate-limit-store-")), "rate-limit.sqlite");
      return () => openRateLimitDatabase(path, { busyTimeoutMs: 1_000 });
    },
    /** A file opened read-only. */
    unwritable: async (): Promise<Database> => {
      const path = join(mkdtempSync(join(tmpdir(), "rate-limit-store-")), "rate-limit.sqlite");
      openRateLimitDatabase(path, { busyTimeoutMs: 0 }).close();
      const db = new SqliteDatabase(path, { busyTimeoutMs: 0 });
      db.exec("PRAGMA query_only = ON");
      return db;
    },
  },
  {
    name: "PostgreSQL",
    skip: !postgresHere,
    open: () => {
      const url = (server as PostgresServer).createDatabase(`limits${++made}`);
      migrate(connect(url));
      return () => connect(url);
    },
    /** A server of its own, stopped. */
    unwritable: async (): Promise<Database> => {
      const own = await startPostgres();
      const db = connect(own.createDatabase("limits"));
      migrate(db);
      await own.remove();
      return db;
    },
  },
];

function storeOn(db: Database, route: string, clock: { now: number }, windowMs = 60_000) {
  const store = new RateLimitCounter(db, () => clock.now).store(route);
  store.init?.({ windowMs } as Options);
  return store;
}

describe.each(databases)("the rate-limit counter on $name", ({ skip, open, unwritable }) => {
  it.skipIf(skip)(
    "counts one fixed window across connections (as workers do), and starts again when it ends",
    async () => {
      const connection = open();
      const clock = { now: 1_000_000 };
      const one = storeOn(connection(), "POST /x", clock);
      const two = storeOn(connection(), "POST /x", clock);
      expect(await one.increment("1.2.3.4")).toEqual({ totalHits: 1, resetTime: new Date(1_060_000) });
      clock.now += 59_999;
      expect(await two.increment("1.2.3.4")).toEqual({ totalHits: 2, resetTime: new Date(1_060_000) });
      // Another client, another route: counted apart.
      expect((await two.increment("5.6.7.8")).totalHits).toBe(1);
      expect((await storeOn(connection(), "GET /y", clock).increment("1.2.3.4")).totalHits).toBe(1);
      clock.now += 1;
      expect(await one.increment("1.2.3.4")).toEqual({ totalHits: 1, resetTime: new Date(1_120_000) });
      await two.decrement("1.2.3.4");
      expect(await one.get?.("1.2.3.4")).toEqual({ totalHits: 0, resetTime: new Date(1_120_000) });
      await two.decrement("1.2.3.4");
      expect(await one.get?.("1.2.3.4")).toEqual({ totalHits: 0, resetTime: new Date(1_120_000) });
    },
  );

  it.skipIf(skip)("answers a 503 problem, not a crash, when the store cannot be written", async () => {
    const store = storeOn(await unwritable(), "POST /x", { now: 0 });
    let thrown: unknown;
    try {
      await store.increment("1.2.3.4");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).body).toMatchObject({
      status: 503,
      detail: expect.stringContaining("rate-limit store"),
    });
    expect((thrown as HttpProblem).headers).toEqual({ "retry-after": "5" });
  });
});
