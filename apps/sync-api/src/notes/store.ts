import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Note } from "@repo/contracts";

interface NoteRow {
  id: number;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The notes table, through synchronous statements prepared once per worker. */
export class NotesStore {
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #page: StatementSync;
  readonly #update: StatementSync;
  readonly #remove: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      "INSERT INTO notes (title, body, created_at, updated_at) VALUES (:title, :body, :now, :now) RETURNING *",
    );
    this.#get = db.prepare("SELECT * FROM notes WHERE id = :id");
    this.#page = db.prepare("SELECT * FROM notes WHERE id < :before ORDER BY id DESC LIMIT :limit");
    this.#update = db.prepare(
      `UPDATE notes SET title = coalesce(:title, title), body = coalesce(:body, body), updated_at = :now
       WHERE id = :id RETURNING *`,
    );
    this.#remove = db.prepare("DELETE FROM notes WHERE id = :id");
  }

  create(fields: { title: string; body: string }): Note {
    return toNote(this.#insert.get({ ...fields, now: new Date().toISOString() }) as unknown as NoteRow);
  }

  get(id: number): Note | undefined {
    const row = this.#get.get({ id }) as NoteRow | undefined;
    return row && toNote(row);
  }

  /** Newest first: up to `limit` notes with ids below `before`, and whether more follow. */
  page({ limit, before }: { limit: number; before?: number }): { notes: Note[]; more: boolean } {
    const rows = this.#page.all({
      before: before ?? Number.MAX_SAFE_INTEGER,
      limit: limit + 1,
    }) as unknown as NoteRow[];
    return { notes: rows.slice(0, limit).map(toNote), more: rows.length > limit };
  }

  update(id: number, changes: { title?: string | undefined; body?: string | undefined }): Note | undefined {
    const row = this.#update.get({
      id,
      title: changes.title ?? null,
      body: changes.body ?? null,
      now: new Date().toISOString(),
    }) as NoteRow | undefined;
    return row && toNote(row);
  }

  remove(id: number): boolean {
    return Number(this.#remove.run({ id }).changes) > 0;
  }
}
