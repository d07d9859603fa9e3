/**
 * The schema's steps, in the order they run: `PRAGMA user_version` records how many a database has
 * had. `pnpm db:new <name>` writes the next step's file and adds it at the end of this list;
 * `pnpm db:status` says which a database has had; the supervisor applies the rest at start-up
 * (docs/adding-a-table.md).
 */
import { notes } from "./0001-notes.ts"; // #example
import { noteEvents } from "./0002-note-events.ts"; // #example
import type { Migration } from "./migration.ts";

export type { Migration } from "./migration.ts";

export const MIGRATIONS: readonly Migration[] = [
  notes, // #example
  noteEvents, // #example
];
