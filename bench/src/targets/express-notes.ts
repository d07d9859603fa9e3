/**
 * sync-api's `GET /notes/:id` and `POST /notes`, written by hand on bare Express 5: the contract's
 * own zod schemas from @repo/contracts, the same SQLite work through node:sqlite (WAL, the note, its
 * outbox event and the outbox's prune at sync-api's default retention in one transaction) on
 * a database file sync-api's migrations created, and nothing else: no contract layer, no logger,
 * no request ids. The twin the contract routes are measured against.
 */
import { DatabaseSync } from "node:sqlite";
import { type Note, notes } from "@repo/contracts";
import { listen, type NoteRow, prune, RETENTION, sendProblem, toNote, twinApp } from "./notes-twin.ts";

const db = new DatabaseSync(process.env.BENCH_DATABASE as string);
db.exec("PRAGMA busy_timeout = 5000");
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec("PRAGMA foreign_keys = ON");
const select = db.prepare("SELECT * FROM notes WHERE id = :id");
const insert = db.prepare(
  "INSERT INTO notes (title, body, created_at, updated_at) VALUES (:title, :body, :now, :now) RETURNING *",
);
const record = db.prepare(
  "INSERT INTO note_events (type, note_id, note, at) VALUES (:type, :noteId, :note, :at) RETURNING id",
);
// sync-api's SQLite adapter turns `$n` into `?n`, as here.
const oldestEvents = db.prepare(prune.OLDEST.replace(/\$(\d+)/g, "?$1"));
const pruneEvents = db.prepare(prune.PRUNE.replace(/\$(\d+)/g, "?$1"));
/** Where this process last pruned to, as sync-api's store keeps it. */
let floor = 0;

const app = twinApp("sync");

app.get("/notes/:id", (req, res) => {
  const params = notes.endpoints.get.params.safeParse(req.params);
  if (!params.success) return sendProblem(res, 400, params.error.message);
  const row = select.get({ id: params.data.id }) as NoteRow | undefined;
  if (!row) return sendProblem(res, 404, `There is no note ${params.data.id}`);
  res.json(toNote(row));
});

app.post("/notes", (req, res) => {
  const body = notes.endpoints.create.body.safeParse(req.body);
  if (!body.success) return sendProblem(res, 400, body.error.message);
  const at = new Date();
  const now = at.toISOString();
  db.exec("BEGIN IMMEDIATE");
  let note: Note;
  try {
    note = toNote(insert.get({ ...body.data, now }) as unknown as NoteRow);
    const event = record.get({ type: "created", noteId: note.id, note: JSON.stringify(note), at: now }) as {
      id: number;
    };
    const counted = prune.countThrough(floor, event.id);
    const oldest = oldestEvents.all(counted, event.id, RETENTION.pruneBatch) as { id: number; at: string }[];
    const through = prune.ageThrough(counted, oldest, at);
    if (through > floor) pruneEvents.run(floor, through);
    db.exec("COMMIT");
    floor = Math.max(floor, through);
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  res.status(201).location(`/notes/${note.id}`).json(note);
});

listen(app);
