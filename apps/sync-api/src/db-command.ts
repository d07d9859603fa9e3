/**
 * `pnpm db:status`, `pnpm db:migrate` and `pnpm db:new <name>`: the schema's steps
 * (src/migrations/) against the database sync-api's settings name (`database.url`, SQLite or
 * PostgreSQL, for the NODE_ENV given). The supervisor applies pending steps at start-up too; `db:migrate` does it
 * without starting the app (a deploy step, say). Exits 1 on a database newer than this build.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { environmentOf, isPostgresUrl, loadOrExit } from "@repo/shared-settings";
import { type Database, DatabaseNewerThanCode } from "./db/database.ts";
import { migrate, schemaStatus } from "./db/migrate.ts";
import { databaseWhere, openDatabase } from "./db/open.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import { STEP_NAME, writeMigrationStep } from "./migrations/new-step.ts";
import { type SyncApiSettings, syncApiSettings } from "./settings/index.ts";

const USAGE = "usage: pnpm db:status | pnpm db:migrate | pnpm db:new <name>  (a name: lower-case words joined by -)";
const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The database the settings name, connected now: a server that cannot be reached is one line. */
function open(database: SyncApiSettings["database"]): { db: Database; where: string } {
  const where = databaseWhere(database);
  try {
    const db = openDatabase(database, "sync-api db command");
    db.get("SELECT 1");
    return { db, where };
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    fail(`database: ${where}: cannot connect: ${cause.message.trim().split("\n")[0]}`);
  }
}

function status(): void {
  const { database } = loadOrExit(syncApiSettings);
  const kind = isPostgresUrl(database.url) ? "PostgreSQL" : "SQLite";
  const where = `${databaseWhere(database)} (${kind}, NODE_ENV=${String(environmentOf(process.env))})`;
  if (kind === "SQLite" && database.url !== ":memory:" && !existsSync(database.url)) {
    const names = MIGRATIONS.map((m) => m.name).join(", ") || "none";
    process.stdout.write(
      `database: ${where}: not made yet; sync-api makes it at start-up with ${MIGRATIONS.length} steps (${names})\n`,
    );
    return;
  }
  const { db } = open(database);
  try {
    const { version, latest, pending } = schemaStatus(db);
    process.stdout.write(`database: ${where}\nschema version ${version}, this build's ${latest}\n`);
    if (version > latest) {
      fail(`newer than this build: a later build migrated it (this build refuses to start on it)`);
    }
    process.stdout.write(
      pending.length === 0
        ? "up to date\n"
        : `pending, applied at the next start or by pnpm db:migrate: ${pending.join(", ")}\n`,
    );
  } finally {
    db.close();
  }
}

function migrateNow(): void {
  const { db, where } = open(loadOrExit(syncApiSettings).database);
  try {
    const { from, to } = migrate(db);
    process.stdout.write(
      from === to ? `${where}: up to date at version ${to}\n` : `${where}: migrated from version ${from} to ${to}\n`,
    );
  } catch (error) {
    if (error instanceof DatabaseNewerThanCode) fail(`${where}: ${error.message}`);
    throw error;
  } finally {
    db.close();
  }
}

/** Writes the next step's file and adds it at the end of src/migrations/index.ts. */
function newMigration(name: string | undefined): void {
  if (!name || !STEP_NAME.test(name)) fail(USAGE, 2);
  const dir = fileURLToPath(MIGRATIONS_DIR);
  if (!dir.includes("/src/")) fail("pnpm db:new writes source files: run it in the repository, not from a build");
  let file: string;
  try {
    file = writeMigrationStep(dir, name);
  } catch (error) {
    fail((error as Error).message);
  }
  process.stdout.write(
    `wrote apps/sync-api/src/migrations/${file} (step ${Number(file.slice(0, 4))}) and added it to src/migrations/index.ts: write its SQL, then pnpm db:migrate (or start sync-api)\n`,
  );
}

const [command, ...rest] = process.argv.slice(2);
if (command === "status" && rest.length === 0) status();
else if (command === "migrate" && rest.length === 0) migrateNow();
else if (command === "new" && rest.length === 1) newMigration(rest[0]);
else fail(USAGE, 2);
