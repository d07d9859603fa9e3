/**
 * Writes a new migration step's file and lists it at the end of index.ts: `pnpm db:new <name>`
 * and the sync-endpoint generator's `db` variant both call it. Plain file edits (no import of
 * the app), so the generator can run it on a project that does not compile yet.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const STEP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The step's file (`0003-visits.ts`), relative to the migrations folder. */
export function writeMigrationStep(dir: string, name: string, sqlite?: string): string {
  if (!STEP_NAME.test(name)) throw new Error(`"${name}" cannot name a migration step: lower-case words joined by -`);
  const files = readdirSync(dir).filter((file) => /^\d{4}-.+\.ts$/.test(file));
  if (files.some((file) => file.slice(5) === `${name}.ts`)) throw new Error(`a step named ${name} exists already`);
  const number = String(Math.max(0, ...files.map((file) => Number(file.slice(0, 4)))) + 1).padStart(4, "0");
  const identifier = name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  const file = `${number}-${name}.ts`;
  const indexPath = join(dir, "index.ts");
  const index = readFileSync(indexPath, "utf8");
  const withImport = index.replace(
    /^import type \{ Migration \} from "\.\/migration\.ts";$/m,
    `import { ${identifier} } from "./${file}";\n$&`,
  );
  // The list, with entries or empty (`[]`, as Biome writes it once --no-examples took the examples').
  const list = /(export const MIGRATIONS: readonly Migration\[\] = \[)([\s\S]*?)\];/;
  if (withImport === index || !list.test(withImport)) {
    throw new Error(`cannot find the MIGRATIONS list in ${indexPath}: add ${identifier} from ./${file} by hand`);
  }
  const table = name.replaceAll("-", "_");
  const sql = sqlite ?? `CREATE TABLE ${table} (\n     id INTEGER PRIMARY KEY AUTOINCREMENT\n   )`;
  writeFileSync(
    join(dir, file),
    `import type { Migration } from "./migration.ts";

/** What this step changes, and why. Once it has run anywhere, never edit it: add another step. */
export const ${identifier}: Migration = {
  name: "${name}",
  sqlite: \`${sql}\`,
};
`,
  );
  writeFileSync(
    indexPath,
    withImport.replace(list, (_, open: string, entries: string) => `${open}${entries.trimEnd()}\n  ${identifier},\n];`),
  );
  return file;
}
