/**
 * The schema's steps (src/migrations/) on both databases, real ones: SQLite files and a
 * throwaway PostgreSQL server. Applied once, in order; a failed step leaves the version before it;
 * a database newer than the build is refused, untouched, by the function and by sync-api at
 * start-up; replicas migrating a PostgreSQL database at once apply each step once; `pnpm
 * db:status` / `pnpm db:migrate` say where a database stands.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";
import {
  freePort,
  type PostgresServer,
  postgresMissing,
  repoRoot,
  runsHere,
  startApp,
  startPostgres,
  stopAll,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, DatabaseNewerThanCode } from "../src/db/database.ts";
import { MIGRATION_LOCK, migrate, schemaStatus } from "../src/db/migrate.ts";
import { PostgresDatabase } from "../src/db/postgres.ts";
import { SqliteDatabase } from "../src/db/sqlite.ts";
import { MIGRATIONS, type Migration } from "../src/migrations/index.ts";

let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.remove();
  await stopAll();
});

const dir = mkdtempSync(join(tmpdir(), "migrations-"));
let made = 0;
const freshFile = () => join(dir, `db-${++made}.sqlite`);

const steps: Migration[] = [
  {
    name: "things",
    sqlite: "CREATE TABLE things (id INTEGER PRIMARY KEY)",
    postgres: "CREATE TABLE things (id integer PRIMARY KEY)",
  },
  {
    name: "thing-names",
    sqlite: "ALTER TABLE things ADD COLUMN name TEXT",
    postgres: "ALTER TABLE things ADD COLUMN name text",
  },
  {
    name: "visits",
    sqlite: "CREATE TABLE visits (id INTEGER PRIMARY KEY)",
    postgres: "CREATE TABLE visits (id integer PRIMARY KEY)",
  },
];

const postgresHere = runsHere("migrations on PostgreSQL", postgresMissing());
const connect = (url: string) =>
  new PostgresDatabase(url, {
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 10_000,
    applicationName: "migrations test",
  });

/** Each database, and how to make a fresh one. */
const databases: { name: string; skip: boolean; fresh: () => Database }[] = [
  {
    name: "SQLite",
    skip: false,
    fresh: () => {
      return new SqliteDatabase(freshFile(), { busyTimeoutMs: 5_000 });
    },
  },
  {
    name: "PostgreSQL",
    skip: !postgresHere,
    fresh: () => {
      return connect((server as PostgresServer).createDatabase(`db${++made}`));
    },
  },
];

beforeAll(async () => {
  if (postgresHere) server = await startPostgres();
}, 60_000);

describe.each(databases)("migrate on $name", ({ skip, fresh }) => {
  it.skipIf(skip)("applies the pending steps once, in order, and says so", () => {
    const db = fresh();
    expect(schemaStatus(db, steps)).toEqual({ version: 0, latest: 3, pending: ["things", "thing-names", "visits"] });
    expect(migrate(db, steps.slice(0, 2))).toEqual({ from: 0, to: 2 });
    expect(schemaStatus(db, steps)).toEqual({ version: 2, latest: 3, pending: ["visits"] });
    expect(migrate(db, steps)).toEqual({ from: 2, to: 3 });
    expect(migrate(db, steps)).toEqual({ from: 3, to: 3 });
    db.run("INSERT INTO things (id, name) VALUES ($1, $2)", [1, "one"]);
    expect(db.all("SELECT id, name FROM things")).toEqual([{ id: 1, name: "one" }]);
    db.close();
  });

  it.skipIf(skip)("an older build refuses a newer database, naming both versions, and leaves it as it was", () => {
    const db = fresh();
    migrate(db, steps);
    // The older build knows two steps: before, it set the version back to 2, and the newer
    // build then failed at start-up re-creating a table that exists.
    expect(() => migrate(db, steps.slice(0, 2))).toThrow(DatabaseNewerThanCode);
    expect(() => migrate(db, steps.slice(0, 2))).toThrow(/schema version 3, newer than this build's 2/);
    expect(schemaStatus(db, steps).version).toBe(3);
    expect(migrate(db, steps)).toEqual({ from: 3, to: 3 });
    db.close();
  });

  it.skipIf(skip)("a step that fails leaves the database at the version before it", () => {
    const db = fresh();
    const table = db.dialect === "sqlite" ? "CREATE TABLE things (id INTEGER)" : "CREATE TABLE things (id integer)";
    const broken = [...steps.slice(0, 1), { name: "broken", sqlite: table, postgres: table }];
    expect(() => migrate(db, broken)).toThrow(/already exists/);
    expect(schemaStatus(db, steps).version).toBe(0);
    expect(migrate(db, steps)).toEqual({ from: 0, to: 3 });
    db.close();
  });

  it.skipIf(skip)("the app's own steps apply on it, and again change nothing", () => {
    const db = fresh();
    expect(migrate(db)).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    db.close();
  });
});

/** `pnpm <args>` in the repository, to its end: its exit code and output. */
const pnpm = async (args: string[], env: Record<string, string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)("pnpm", ["--silent", ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: "test", ...env },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
};

describe.skipIf(!postgresHere)("pnpm db:migrate on PostgreSQL, from replicas starting together", () => {
  it("applies each step once: both wait on the migrations' advisory lock, then one migrates and the other finds it done", async () => {
    const url = (server as PostgresServer).createDatabase(`replicas${++made}`);
    // Held here first, so that both commands are sure to arrive while it is taken.
    const holder = connect(url);
    holder.get("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const runs = [
      pnpm(["db:migrate"], { SYNC_API_DATABASE__URL: url }),
      pnpm(["db:migrate"], { SYNC_API_DATABASE__URL: url }),
    ];
    const waiting = () =>
      Number(
        holder.get<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")?.n,
      );
    for (let tries = 0; waiting() < 2; tries++) {
      if (tries > 300) throw new Error(`the two commands never both waited for the lock (${waiting()} did)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    holder.get("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    const outputs = (await Promise.all(runs)).map(({ code, output }) => `${code} ${output.trim()}`).sort();
    const where = url.replace("postgres@", "");
    // (A project without tables yet, as --no-examples leaves it, has no step to apply: both find it so.)
    const first = MIGRATIONS.length > 0 ? `migrated from version 0 to ${MIGRATIONS.length}` : "up to date at version 0";
    expect(outputs).toEqual([`0 ${where}: ${first}`, `0 ${where}: up to date at version ${MIGRATIONS.length}`]);
    holder.close();
  }, 60_000);
});

describe("sync-api and the db commands on a database newer than the build", () => {
  const newer = () => {
    const path = freshFile();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 99");
    db.close();
    return path;
  };

  it("sync-api refuses to start, in one line naming both versions", async () => {
    const path = newer();
    const app = startApp("sync-api", {
      env: { SYNC_API_PORT: String(await freePort()), SYNC_API_WORKERS: "1", SYNC_API_DATABASE__URL: path },
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toMatch(
      /the database is at schema version 99, newer than this build's \d+: a later build migrated it/,
    );
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: 99 });
    db.close();
  });

  it("pnpm db:status and db:migrate say where a database stands, and refuse a newer one", async () => {
    const path = freshFile();
    const env = { SYNC_API_DATABASE__URL: path };
    expect(await pnpm(["db:status"], env)).toMatchObject({ code: 0, output: expect.stringContaining("not made yet") });
    const migrated = await pnpm(["db:migrate"], env);
    // (A project without tables yet, as --no-examples leaves it, has no step to apply.)
    const applied =
      MIGRATIONS.length > 0 ? `migrated from version 0 to ${MIGRATIONS.length}` : "up to date at version 0";
    expect(migrated).toMatchObject({ code: 0, output: expect.stringContaining(applied) });
    expect(await pnpm(["db:status"], env)).toMatchObject({ code: 0, output: expect.stringContaining("up to date") });

    const refused = await pnpm(["db:migrate"], { SYNC_API_DATABASE__URL: newer() });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/schema version 99, newer than this build's/);
    const status = await pnpm(["db:status"], { SYNC_API_DATABASE__URL: newer() });
    expect(status.code).toBe(1);
    expect(status.output).toContain("schema version 99");
  });
});
