/**
 * The schema's versioned steps (src/migrations/), applied in order, each database remembering how
 * many it has had: SQLite in `PRAGMA user_version`, PostgreSQL in a one-row `schema_version`
 * table. Applied once before any worker opens the database (the supervisor, combined mode's main
 * thread, `pnpm db:migrate`), in one transaction that holds the database's write lock (SQLite) or
 * a transaction-level advisory lock (PostgreSQL), so replicas starting together apply each step
 * once. A database newer than this build is refused and never touched.
 */
import { MIGRATIONS, type Migration } from "../migrations/index.ts";
import { type Database, DatabaseNewerThanCode } from "./database.ts";

/** Where a database stands against this build's steps (`pnpm db:status`). */
export interface SchemaStatus {
  /** The steps it has had. */
  readonly version: number;
  /** The steps this build knows. */
  readonly latest: number;
  /** The names of the steps it has not had yet, in order. */
  readonly pending: readonly string[];
}

/** The advisory lock migrations hold on PostgreSQL (any fixed number; this one spells "sync"). */
export const MIGRATION_LOCK = 0x73796e63;

/**
 * What the app keeps beside the schema's steps, made where missing on every start: the rate-limit
 * counters (one count for every worker on every host on PostgreSQL; SQLite's stay in a file of
 * their own, src/http/rate-limit-store.ts).
 */
const POSTGRES_INFRASTRUCTURE = `
  CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);
  CREATE TABLE IF NOT EXISTS rate_limit_hits (
    key      text PRIMARY KEY,
    hits     integer NOT NULL,
    reset_at bigint NOT NULL
  );`;

function versionOf(db: Database): number {
  if (db.dialect === "sqlite")
    return Number(db.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0);
  const exists = db.get<{ found: string | null }>("SELECT to_regclass('schema_version')::text AS found");
  if (!exists?.found) return 0;
  return Number(db.get<{ version: number }>("SELECT version FROM schema_version")?.version ?? 0);
}

/** Which steps a database has had, and which it has not. */
export function schemaStatus(db: Database, migrations: readonly Migration[] = MIGRATIONS): SchemaStatus {
  const version = versionOf(db);
  return { version, latest: migrations.length, pending: migrations.slice(version).map((m) => m.name) };
}

/** Brings the schema up to date; refuses a database newer than this build. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  return db.transaction(() => {
    if (db.dialect === "postgres") {
      // Held to the transaction's end: a replica starting at the same moment waits here, then
      // finds the steps applied.
      db.get("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      db.exec(POSTGRES_INFRASTRUCTURE);
    }
    const from = versionOf(db);
    if (from > migrations.length) {
      throw new DatabaseNewerThanCode(
        `the database is at schema version ${from}, newer than this build's ${migrations.length}: a later build migrated it. Run that build (or a later one), or restore a backup taken before it; this build will not change it`,
      );
    }
    for (const migration of migrations.slice(from))
      db.exec(db.dialect === "sqlite" ? migration.sqlite : migration.postgres);
    if (db.dialect === "sqlite") db.exec(`PRAGMA user_version = ${migrations.length}`);
    else {
      db.run("DELETE FROM schema_version");
      db.run("INSERT INTO schema_version (version) VALUES ($1)", [migrations.length]);
    }
    return { from, to: migrations.length };
  });
}
