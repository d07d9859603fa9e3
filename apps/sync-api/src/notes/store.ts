import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Note, NoteEvent } from "@repo/contracts";
import { transaction } from "../database.ts";

interface NoteRow {
  id: number;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

interface EventRow {
  id: number;
  type: NoteEvent["type"];
  note_id: number;
  note: string | null;
  at: string;
}

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toEvent = (row: EventRow): NoteEvent => ({
  id: row.id,
  type: row.type,
  noteId: row.note_id,
  note: row.note === null ? null : (JSON.parse(row.note) as Note),
  at: row.at,
});

/** How much of the outbox is kept: the newest `keepEvents`, none older than `keepForMs` (0: no such limit). */
export interface OutboxRetention {
  readonly keepEvents: number;
  readonly keepForMs: number;
}

/** Rows the age limit prunes per write at most, so that no write pays for a long backlog at once. */
const PRUNE_BATCH = 100;

/**
 * The notes table, through synchronous statements prepared once per worker. Every change writes
 * its event to the `note_events` outbox in the same transaction, and prunes what the retention no
 * longer keeps (so the outbox stays bounded however long the app runs).
 */
export class NotesStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #page: StatementSync;
  readonly #update: StatementSync;
  readonly #remove: StatementSync;
  readonly #record: StatementSync;
  readonly #events: StatementSync;
  readonly #pruneCount: StatementSync;
  readonly #pruneAge: StatementSync;
  readonly #prunedThrough: StatementSync;
  readonly #retention: OutboxRetention;

  constructor(db: DatabaseSync, retention: OutboxRetention = { keepEvents: 0, keepForMs: 0 }) {
    this.#db = db;
    this.#retention = retention;
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
    this.#record = db.prepare(
      "INSERT INTO note_events (type, note_id, note, at) VALUES (:type, :noteId, :note, :at) RETURNING id",
    );
    this.#events = db.prepare("SELECT * FROM note_events WHERE id > :after ORDER BY id LIMIT :limit");
    // Both by the primary key: the oldest rows first, never a scan of the whole table.
    this.#pruneCount = db.prepare("DELETE FROM note_events WHERE id <= :newest - :keep");
    this.#pruneAge = db.prepare(
      "DELETE FROM note_events WHERE id IN (SELECT id FROM note_events ORDER BY id LIMIT :batch) AND at < :before",
    );
    // The newest id no longer kept (below the oldest row, or every id given out when none is
    // left), and the newest id given out.
    this.#prunedThrough = db.prepare(
      `SELECT coalesce((SELECT min(id) FROM note_events) - 1, seq, 0) AS through, coalesce(seq, 0) AS newest
       FROM (SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'note_events') AS seq)`,
    );
  }

  create(fields: { title: string; body: string }): Note {
    return transaction(this.#db, () => {
      const note = toNote(this.#insert.get({ ...fields, now: new Date().toISOString() }) as unknown as NoteRow);
      this.#recordEvent("created", note.id, note);
      return note;
    });
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
    return transaction(this.#db, () => {
      const row = this.#update.get({
        id,
        title: changes.title ?? null,
        body: changes.body ?? null,
        now: new Date().toISOString(),
      }) as NoteRow | undefined;
      if (!row) return undefined;
      const note = toNote(row);
      this.#recordEvent("updated", id, note);
      return note;
    });
  }

  remove(id: number): boolean {
    return transaction(this.#db, () => {
      const removed = Number(this.#remove.run({ id }).changes) > 0;
      if (removed) this.#recordEvent("deleted", id, null);
      return removed;
    });
  }

  /**
   * The changes after event `after`, oldest first; the newest id the outbox no longer keeps (a
   * reader at a position below it has missed changes that are gone: it must reload); the newest id.
   */
  events({ after, limit }: { after: number; limit: number }): {
    events: NoteEvent[];
    prunedThrough: number;
    newest: number;
  } {
    const events = (this.#events.all({ after, limit }) as unknown as EventRow[]).map(toEvent);
    // Read after the page: a prune in between can only make it say more is gone, never less.
    const { through, newest } = this.#prunedThrough.get() as { through: number; newest: number };
    return { events, prunedThrough: Number(through), newest: Number(newest) };
  }

  #recordEvent(type: NoteEvent["type"], noteId: number, note: Note | null): void {
    const at = new Date();
    const { id } = this.#record.get({ type, noteId, note: note && JSON.stringify(note), at: at.toISOString() }) as {
      id: number;
    };
    const { keepEvents, keepForMs } = this.#retention;
    if (keepEvents > 0) this.#pruneCount.run({ newest: id, keep: keepEvents });
    if (keepForMs > 0) {
      this.#pruneAge.run({ batch: PRUNE_BATCH, before: new Date(at.getTime() - keepForMs).toISOString() });
    }
  }
}
