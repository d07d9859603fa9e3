import type { Migration } from "./migration.ts";

/** The outbox: one row per change to a note, written in the change's transaction (see NotesStore). */
export const noteEvents: Migration = {
  name: "note-events",
  sqlite: `CREATE TABLE note_events (
     id      INTEGER PRIMARY KEY AUTOINCREMENT,
     type    TEXT NOT NULL CHECK (type IN ('created', 'updated', 'deleted')),
     note_id INTEGER NOT NULL,
     note    TEXT,
     at      TEXT NOT NULL
   )`,
};
