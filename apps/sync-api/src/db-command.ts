/**
 * `pnpm db:status`, `pnpm db:migrate` and `pnpm db:new <name>`: the schema's steps
 * (src/migrations/) against the database sync-api's settings name (`database.path`, for the
 * NODE_ENV given). The supervisor applies pending steps at start-up too; `db:migrate` does it
 * without starting the app (a deploy step, say). Exits 1 on a database newer than this build.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { environmentOf, loadOrExit } from "@repo/shared-settings";
import { DatabaseNewerThanCode, migrate, schemaStatus } from "./database.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import { syncApiSettings } from "./settings/index.ts";
import { openDatabase } from "./sqlite.ts";

const USAGE = "usage: pnpm db:status | pnpm db:migrate | pnpm db:new <name>  (a name: lower-case words joined by -)";
const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function status(): void {
  const { path } = loadOrExit(syncApiSettings).database;
  const where = `${path} (SQLite, NODE_ENV=${String(environmentOf(process.env))})`;
  if (path !== ":memory:" && !existsSync(path)) {
    const names = MIGRATIONS.map((m) => m.name).join(", ") || "none";
    process.stdout.write(
      `database: ${where}: not made yet; sync-api makes it at start-up with ${MIGRATIONS.length} steps (${names})\n`,
    );
    return;
  }
  const db = new DatabaseSync(path, { readOnly: true });
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
  const { database } = loadOrExit(syncApiSettings);
  const db = openDatabase(database.path, database);
  try {
    const { from, to } = migrate(db);
    process.stdout.write(
      from === to
        ? `${database.path}: up to date at version ${to}\n`
        : `${database.path}: migrated from version ${from} to ${to}\n`,
    );
  } catch (error) {
    if (error instanceof DatabaseNewerThanCode) fail(`${database.path}: ${error.message}`);
    throw error;
  } finally {
    db.close();
  }
}

/** Writes the next step's file and adds it at the end of src/migrations/index.ts. */
function newMigration(name: string | undefined): void {
  if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) fail(USAGE, 2);
  if (!fileURLToPath(MIGRATIONS_DIR).includes("/src/"))
    fail("pnpm db:new writes source files: run it in the repository, not from a build");
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => /^\d{4}-.+\.ts$/.test(file));
  if (files.some((file) => file.slice(5) === `${name}.ts`)) fail(`a step named ${name} exists already`);
  const number = String(Math.max(0, ...files.map((file) => Number(file.slice(0, 4)))) + 1).padStart(4, "0");
  const identifier = name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  const file = `${number}-${name}.ts`;
  writeFileSync(
    new URL(file, MIGRATIONS_DIR),
    `import type { Migration } from "./migration.ts";

/** What this step changes, and why. Once it has run anywhere, never edit it: add another step. */
export const ${identifier}: Migration = {
  name: "${name}",
  sqlite: \`CREATE TABLE ${name.replaceAll("-", "_")} (
     id INTEGER PRIMARY KEY AUTOINCREMENT
   )\`,
};
`,
  );
  const indexUrl = new URL("index.ts", MIGRATIONS_DIR);
  const index = readFileSync(indexUrl, "utf8");
  const withImport = index.replace(
    /^import type \{ Migration \} from "\.\/migration\.ts";$/m,
    `import { ${identifier} } from "./${file}";\n$&`,
  );
  // The list, with entries or empty (`[]`, as Biome writes it once --no-examples took the examples').
  const list = /(export const MIGRATIONS: readonly Migration\[\] = \[)([\s\S]*?)\];/;
  const updated = withImport.replace(
    list,
    (_, open: string, entries: string) => `${open}${entries.trimEnd()}\n  ${identifier},\n];`,
  );
  if (!list.test(withImport) || withImport === index) {
    fail(`cannot find the MIGRATIONS list in ${fileURLToPath(indexUrl)}: add ${identifier} from ./${file} by hand`);
  }
  writeFileSync(indexUrl, updated);
  process.stdout.write(
    `wrote apps/sync-api/src/migrations/${file} (step ${Number(number)}) and added it to src/migrations/index.ts: write its SQL, then pnpm db:migrate (or start sync-api)\n`,
  );
}

const [command, ...rest] = process.argv.slice(2);
if (command === "status" && rest.length === 0) status();
else if (command === "migrate" && rest.length === 0) migrateNow();
else if (command === "new" && rest.length === 1) newMigration(rest[0]);
else fail(USAGE, 2);
