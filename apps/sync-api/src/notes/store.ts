import type { Note, NoteEvent } from "@repo/contracts";
import type { Database } from "../db/database.ts";

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

/** Rows the age limit looks at per write at most, so that no write pays for a long backlog at once. */
const PRUNE_BATCH = 100;

/** The advisory lock a PostgreSQL write holds to its commit (any fixed number; this one spells "note"). */
const OUTBOX_LOCK = 0x6e6f7465;

/**
 * The channel a PostgreSQL write NOTIFYs with its event's id (async-api's relay LISTENs on it).
 * A wake-up only: the outbox stays the one source of the events, their order and catch-up.
 */
const NOTIFY_CHANNEL = "note_events";

/**
 * The newest id the outbox no longer keeps (below its oldest row, or every id given out when none
 * is left), and the newest id given out. SQLite keeps the last id given out in sqlite_sequence,
 * which commits with the write. PostgreSQL's sequences do not (an id taken by a transaction not
 * yet committed, or rolled back, is already counted): there the newest row is the newest id, and
 * no prune removes it (a write never prunes the row it wrote), so that what a reader is told is
 * newest has committed.
 */
const PRUNED_THROUGH = {
  sqlite: `SELECT coalesce((SELECT min(id) FROM note_events) - 1, seq, 0) AS through, coalesce(seq, 0) AS newest
           FROM (SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'note_events') AS seq)`,
  postgres: "SELECT coalesce(min(id) - 1, 0) AS through, coalesce(max(id), 0) AS newest FROM note_events",
} as const;

/**
 * The notes table, through synchronous statements on this host's connection (SQLite or
 * PostgreSQL). Every change writes its event to the `note_events` outbox in the same transaction,
 * and prunes what the retention no longer keeps (so the outbox stays bounded however long the app
 * runs).
 *
 * The outbox's readers page by id (`after`), so ids must become visible in the order they were
 * given out. SQLite has one writer at a time (BEGIN IMMEDIATE). On PostgreSQL two transactions
 * could commit ids 11 then 10, and a reader past 11 would never see 10: each write takes a
 * transaction-level advisory lock first, so writes of notes commit one at a time there too.
 */
export class NotesStore {
  readonly #db: Database;
  readonly #retention: OutboxRetention;
  /**
   * Every event id at or below this is pruned (this process saw it committed): where the prunes
   * start. From the first id, PostgreSQL's index would walk every row deleted since autovacuum last
   * ran, on every write, and writes slowed as the outbox turned over (the bench found it).
   */
  #prunedFloor = 0;
  /** What the write in progress prunes through, kept once it commits. */
  #pruning = 0;

  constructor(db: Database, retention: OutboxRetention = { keepEvents: 0, keepForMs: 0 }) {
    this.#db = db;
    this.#retention = retention;
  }

  /** Runs a write in a transaction that holds the outbox's order (above). */
  #write<T>(work: () => T): T {
    this.#pruning = this.#prunedFloor;
    const result = this.#db.transaction(() => {
      if (this.#db.dialect === "postgres") this.#db.get("SELECT pg_advisory_xact_lock($1)", [OUTBOX_LOCK]);
      return work();
    });
    this.#prunedFloor = Math.max(this.#prunedFloor, this.#pruning);
    return result;
  }

  create(fields: { title: string; body: string }): Note {
    return this.#write(() => {
      const now = new Date().toISOString();
      const row = this.#db.get<NoteRow>(
        "INSERT INTO notes (title, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING *",
        [fields.title, fields.body, now],
      ) as NoteRow;
      const note = toNote(row);
      this.#recordEvent("created", note.id, note);
      return note;
    });
  }

  get(id: number): Note | undefined {
    const row = this.#db.get<NoteRow>("SELECT * FROM notes WHERE id = $1", [id]);
    return row && toNote(row);
  }

  /** Newest first: up to `limit` notes with ids below `before`, and whether more follow. */
  page({ limit, before }: { limit: number; before?: number }): { notes: Note[]; more: boolean } {
    // Without `before`, below the largest id a note can have (the contract's: a safe integer).
    const rows = this.#db.all<NoteRow>("SELECT * FROM notes WHERE id < $1 ORDER BY id DESC LIMIT $2", [
      before ?? Number.MAX_SAFE_INTEGER,
      limit + 1,
    ]);
    return { notes: rows.slice(0, limit).map(toNote), more: rows.length > limit };
  }

  update(id: number, changes: { title?: string | undefined; body?: string | undefined }): Note | undefined {
    return this.#write(() => {
      const row = this.#db.get<NoteRow>(
        `UPDATE notes SET title = coalesce($2, title), body = coalesce($3, body), updated_at = $4
         WHERE id = $1 RETURNING *`,
        [id, changes.title ?? null, changes.body ?? null, new Date().toISOString()],
      );
      if (!row) return undefined;
      const note = toNote(row);
      this.#recordEvent("updated", id, note);
      return note;
    });
  }

  remove(id: number): boolean {
    return this.#write(() => {
      const removed = this.#db.run("DELETE FROM notes WHERE id = $1", [id]) > 0;
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
    const events = this.#db
      .all<EventRow>("SELECT * FROM note_events WHERE id > $1 ORDER BY id LIMIT $2", [after, limit])
      .map(toEvent);
    // Read after the page: a prune in between can only make it say more is gone, never less.
    const { through, newest } = this.#db.get<{ through: number | string; newest: number | string }>(
      PRUNED_THROUGH[this.#db.dialect],
    ) ?? { through: 0, newest: 0 };
    return { events, prunedThrough: Number(through), newest: Number(newest) };
  }

  #recordEvent(type: NoteEvent["type"], noteId: number, note: Note | null): void {
    const at = new Date();
    const { id } = this.#db.get<{ id: number }>(
      "INSERT INTO note_events (type, note_id, note, at) VALUES ($1, $2, $3, $4) RETURNING id",
      [type, noteId, note && JSON.stringify(note), at.toISOString()],
    ) as { id: number };
    // async-api's relay, when it LISTENs, reads the feed at once instead of at its next poll. Sent
    // on commit only, and in commit order (the advisory lock): a rolled-back write wakes no one.
    if (this.#db.dialect === "postgres") this.#db.get("SELECT pg_notify($1, $2)", [NOTIFY_CHANNEL, String(id)]);
    this.#prune(id, at);
  }

  /**
   * Deletes what the retention no longer keeps, oldest first: the events more than `keepEvents`
   * behind the one just written (`id`), then, of the next oldest, those older than `keepForMs`, up
   * to the first that is not (so the outbox is always a run of ids: what is gone is all below it).
   */
  #prune(id: number, at: Date): void {
    const { keepEvents, keepForMs } = this.#retention;
    const floor = this.#prunedFloor;
    let through = keepEvents > 0 ? Math.max(floor, id - keepEvents) : floor;
    if (keepForMs > 0) {
      const cutoff = new Date(at.getTime() - keepForMs).toISOString();
      const oldest = this.#db.all<{ id: number; at: string }>(
        "SELECT id, at FROM note_events WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3",
        [through, id, PRUNE_BATCH],
      );
      for (const row of oldest) {
        if (row.at >= cutoff) break;
        through = row.id;
      }
    }
    if (through > floor) this.#db.run("DELETE FROM note_events WHERE id > $1 AND id <= $2", [floor, through]);
    this.#pruning = through;
  }
}
