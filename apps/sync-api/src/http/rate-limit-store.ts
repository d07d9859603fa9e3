/**
 * The rate-limit counter every worker shares: fixed windows, counted by one statement per request
 * (no message to the supervisor). On SQLite, in a file of its own (the `rateLimit.path` setting):
 * one count for every worker of this host, whatever the worker count and across rolling restarts.
 * On PostgreSQL, in the database's `rate_limit_hits` table (src/db/migrate.ts makes it): one count
 * for every worker on every host. express-rate-limit counts through it (its `Store` interface).
 */

import { HttpProblem } from "@repo/contracts";
import type { ClientRateLimitInfo, Options, Store } from "express-rate-limit";
import { type Database, databaseUnavailable } from "../db/database.ts";
import { SqliteDatabase } from "../db/sqlite.ts";

const SQLITE_SCHEMA = `CREATE TABLE IF NOT EXISTS rate_limit_hits (
  key      TEXT PRIMARY KEY,
  hits     INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
) WITHOUT ROWID`;

/** Expired windows are deleted once every this many counts of a process (they are ignored anyway). */
const PURGE_EVERY = 1_000;

/**
 * Opens the store's SQLite file and creates its table: the supervisor does it once before forking,
 * so a path it cannot write stops sync-api at start-up, naming it, instead of failing requests.
 */
export function openRateLimitDatabase(path: string, { busyTimeoutMs }: { busyTimeoutMs: number }): Database {
  // NORMAL whatever the database's `synchronous`: a power loss here loses only counts.
  const db = new SqliteDatabase(path, { busyTimeoutMs, synchronous: "NORMAL" });
  db.exec(SQLITE_SCHEMA);
  return db;
}

/**
 * One atomic upsert: a window that has ended starts again at 1, otherwise its count goes up. The
 * same statement in both dialects (the row's own columns, `excluded` for the one proposed; the
 * casts tell PostgreSQL the parameters' type, which SQLite reads as an integer affinity).
 */
const HIT = `INSERT INTO rate_limit_hits AS h (key, hits, reset_at) VALUES ($1, 1, CAST($2 AS bigint) + CAST($3 AS bigint))
  ON CONFLICT (key) DO UPDATE SET
    hits     = CASE WHEN h.reset_at <= $2 THEN 1 ELSE h.hits + 1 END,
    reset_at = CASE WHEN h.reset_at <= $2 THEN excluded.reset_at ELSE h.reset_at END
  RETURNING hits, reset_at`;
/** Takes one back, never below 0 (SQLite's scalar MAX, PostgreSQL's GREATEST). */
const UNHIT = {
  sqlite: "UPDATE rate_limit_hits SET hits = MAX(hits - 1, 0) WHERE key = $1 AND reset_at > $2",
  postgres: "UPDATE rate_limit_hits SET hits = GREATEST(hits - 1, 0) WHERE key = $1 AND reset_at > $2",
} as const;

/** The counter over one connection; `store(route)` gives each limited route its own keys. */
export class RateLimitCounter {
  readonly #db: Database;
  readonly now: () => number;
  #counted = 0;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.now = now;
  }

  /** A store for one route: its keys are the route's, then the client's. */
  store(route: string): Store {
    let windowMs = 60_000;
    const key = (client: string) => `${route} ${client}`;
    return {
      prefix: route,
      // Shared by every worker of the host: express-rate-limit must not assume it sees every hit.
      localKeys: false,
      init: (options: Options) => {
        windowMs = options.windowMs;
      },
      increment: (client) => this.#guard(() => this.#increment(key(client), windowMs)),
      get: (client) =>
        this.#guard(() =>
          info(
            this.#db.get("SELECT hits, reset_at FROM rate_limit_hits WHERE key = $1 AND reset_at > $2", [
              key(client),
              this.now(),
            ]),
          ),
        ),
      decrement: (client) => {
        this.#guard(() => this.#db.run(UNHIT[this.#db.dialect], [key(client), this.now()]));
      },
      resetKey: (client) => {
        this.#guard(() => this.#db.run("DELETE FROM rate_limit_hits WHERE key = $1", [key(client)]));
      },
    };
  }

  /** A store that cannot count now (a full disk, the server gone) is a 503 problem saying so, not a crash. */
  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 503) {
        throw databaseUnavailable("The rate-limit store cannot count requests right now; retry");
      }
      throw error;
    }
  }

  #increment(key: string, window: number): ClientRateLimitInfo {
    const now = this.now();
    const row = this.#db.get(HIT, [key, now, window]);
    if (++this.#counted % PURGE_EVERY === 0) this.#db.run("DELETE FROM rate_limit_hits WHERE reset_at <= $1", [now]);
    return info(row) as ClientRateLimitInfo;
  }
}

function info(row: Record<string, unknown> | undefined): ClientRateLimitInfo | undefined {
  if (!row) return undefined;
  return { totalHits: Number(row.hits), resetTime: new Date(Number(row.reset_at)) };
}
