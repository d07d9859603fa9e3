/**
 * The rate-limit counter every worker of this host shares: fixed windows in a SQLite file of its
 * own (the `rateLimit.path` setting), so that N workers count one limit, not N, whatever the
 * worker count and across rolling restarts. One statement per request: no message to the
 * supervisor, no server to run. express-rate-limit counts through it (its `Store` interface).
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ClientRateLimitInfo, Options, Store } from "express-rate-limit";
import { openDatabase, unavailable } from "../sqlite.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS rate_limit_hits (
  key      TEXT PRIMARY KEY,
  hits     INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
) WITHOUT ROWID`;

/** Expired windows are deleted once every this many counts of a process (they are ignored anyway). */
const PURGE_EVERY = 1_000;

/**
 * Opens the store's file and creates its table: the supervisor does it once before forking, so a
 * path it cannot write stops sync-api at start-up, naming it, instead of failing requests.
 */
export function openRateLimitDatabase(path: string, { busyTimeoutMs }: { busyTimeoutMs: number }): DatabaseSync {
  // NORMAL whatever the database's `synchronous`: a power loss here loses only counts.
  const db = openDatabase(path, { busyTimeoutMs, synchronous: "NORMAL" });
  db.exec(SCHEMA);
  return db;
}

/** The counter over one connection; `store(route)` gives each limited route its own keys. */
export class SqliteRateLimitCounter {
  readonly #hit: StatementSync;
  readonly #read: StatementSync;
  readonly #unhit: StatementSync;
  readonly #reset: StatementSync;
  readonly #purge: StatementSync;
  readonly now: () => number;
  #counted = 0;

  constructor(db: DatabaseSync, now: () => number = Date.now) {
    this.now = now;
    // One atomic upsert: a window that has ended starts again at 1, otherwise its count goes up.
    this.#hit = db.prepare(
      `INSERT INTO rate_limit_hits (key, hits, reset_at) VALUES (:key, 1, :now + :window)
       ON CONFLICT (key) DO UPDATE SET
         hits     = CASE WHEN reset_at <= :now THEN 1 ELSE hits + 1 END,
         reset_at = CASE WHEN reset_at <= :now THEN excluded.reset_at ELSE reset_at END
       RETURNING hits, reset_at`,
    );
    this.#read = db.prepare("SELECT hits, reset_at FROM rate_limit_hits WHERE key = :key AND reset_at > :now");
    this.#unhit = db.prepare("UPDATE rate_limit_hits SET hits = MAX(hits - 1, 0) WHERE key = :key AND reset_at > :now");
    this.#reset = db.prepare("DELETE FROM rate_limit_hits WHERE key = :key");
    this.#purge = db.prepare("DELETE FROM rate_limit_hits WHERE reset_at <= :now");
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
      get: (client) => this.#guard(() => info(this.#read.get({ key: key(client), now: this.now() }))),
      decrement: (client) => {
        this.#guard(() => this.#unhit.run({ key: key(client), now: this.now() }));
      },
      resetKey: (client) => {
        this.#guard(() => this.#reset.run({ key: key(client) }));
      },
    };
  }

  #increment(key: string, window: number): ClientRateLimitInfo {
    const now = this.now();
    const row = this.#hit.get({ key, now, window });
    if (++this.#counted % PURGE_EVERY === 0) this.#purge.run({ now });
    return info(row) as ClientRateLimitInfo;
  }

  /** A file that cannot be written now (full disk, read-only) is a 503 problem, not a crash. */
  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw unavailable(error, "The rate-limit store cannot count requests right now; retry") ?? error;
    }
  }
}

function info(row: Record<string, unknown> | undefined): ClientRateLimitInfo | undefined {
  if (!row) return undefined;
  return { totalHits: Number(row.hits), resetTime: new Date(Number(row.reset_at)) };
}
