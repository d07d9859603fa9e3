/**
 * The schema's steps (src/migrations/) on real SQLite files: applied once, in order; a database
 * newer than the build is refused, untouched, by the function and by sync-api at start-up; and
 * `pnpm db:status` / `pnpm db:migrate` say where a database stands.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";
import { freePort, repoRoot, startApp, stopAll } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseNewerThanCode, migrate, schemaStatus } from "../src/database.ts";
import { MIGRATIONS, type Migration } from "../src/migrations/index.ts";

afterAll(stopAll);

const dir = mkdtempSync(join(tmpdir(), "migrations-"));
let files = 0;
const freshFile = () => join(dir, `db-${++files}.sqlite`);
const userVersion = (db: DatabaseSync) =>
  (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;

const steps: Migration[] = [
  { name: "things", sqlite: "CREATE TABLE things (id INTEGER PRIMARY KEY)" },
  { name: "thing-names", sqlite: "ALTER TABLE things ADD COLUMN name TEXT" },
  { name: "visits", sqlite: "CREATE TABLE visits (id INTEGER PRIMARY KEY)" },
];

describe("migrate", () => {
  it("applies the pending steps once, in order, and says so", () => {
    const db = new DatabaseSync(freshFile());
    expect(schemaStatus(db, steps)).toEqual({ version: 0, latest: 3, pending: ["things", "thing-names", "visits"] });
    expect(migrate(db, steps.slice(0, 2))).toEqual({ from: 0, to: 2 });
    expect(schemaStatus(db, steps)).toEqual({ version: 2, latest: 3, pending: ["visits"] });
    expect(migrate(db, steps)).toEqual({ from: 2, to: 3 });
    expect(migrate(db, steps)).toEqual({ from: 3, to: 3 });
    db.close();
  });

  it("an older build refuses a newer database, naming both versions, and leaves it as it was", () => {
    const db = new DatabaseSync(freshFile());
    migrate(db, steps);
    // The older build knows two steps: before, it set user_version back to 2, and the newer
    // build then failed at start-up re-creating a table that exists.
    expect(() => migrate(db, steps.slice(0, 2))).toThrow(DatabaseNewerThanCode);
    expect(() => migrate(db, steps.slice(0, 2))).toThrow(/schema version 3, newer than this build's 2/);
    expect(userVersion(db)).toBe(3);
    expect(migrate(db, steps)).toEqual({ from: 3, to: 3 });
    db.close();
  });

  it("a step that fails leaves the database at the version before it", () => {
    const db = new DatabaseSync(freshFile());
    const broken = [...steps.slice(0, 1), { name: "broken", sqlite: "CREATE TABLE things (id INTEGER)" }];
    expect(() => migrate(db, broken)).toThrow(/already exists/);
    expect(userVersion(db)).toBe(0);
    db.close();
  });
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
      env: { SYNC_API_PORT: String(await freePort()), SYNC_API_WORKERS: "1", SYNC_API_DATABASE__PATH: path },
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toMatch(
      /the database is at schema version 99, newer than this build's \d+: a later build migrated it/,
    );
    const db = new DatabaseSync(path);
    expect(userVersion(db)).toBe(99);
    db.close();
  });

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

  it("pnpm db:status and db:migrate say where a database stands, and refuse a newer one", async () => {
    const path = freshFile();
    const env = { SYNC_API_DATABASE__PATH: path };
    expect(await pnpm(["db:status"], env)).toMatchObject({ code: 0, output: expect.stringContaining("not made yet") });
    const migrated = await pnpm(["db:migrate"], env);
    // (A project without tables yet, as --no-examples leaves it, has no step to apply.)
    const applied =
      MIGRATIONS.length > 0 ? `migrated from version 0 to ${MIGRATIONS.length}` : "up to date at version 0";
    expect(migrated).toMatchObject({ code: 0, output: expect.stringContaining(applied) });
    expect(await pnpm(["db:status"], env)).toMatchObject({ code: 0, output: expect.stringContaining("up to date") });

    const refused = await pnpm(["db:migrate"], { SYNC_API_DATABASE__PATH: newer() });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/schema version 99, newer than this build's/);
    const status = await pnpm(["db:status"], { SYNC_API_DATABASE__PATH: newer() });
    expect(status.code).toBe(1);
    expect(status.output).toContain("schema version 99");
  });
});
