import type { Migration } from "./migration.ts";

/** The notes table of the example resource. */
export const notes: Migration = {
  name: "notes",
  sqlite: `CREATE TABLE notes (
     id         INTEGER PRIMARY KEY AUTOINCREMENT,
     title      TEXT NOT NULL,
     body       TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
};
