/**
 * sync-api's `GET /notes/:id` and `POST /notes`, written by hand on bare Express 5: the contract's
 * own zod schemas from @repo/contracts, the same SQLite work through node:sqlite (WAL, the note and
 * its outbox event in one transaction) on a database file sync-api's migrations created, and
 * nothing else: no contract layer, no logger, no request ids. The twin the contract routes are
 * measured against.
 */
import { DatabaseSync } from "node:sqlite";
import { type Note, notes, PROBLEM_CONTENT_TYPE, problem } from "@repo/contracts";
import express, { type Response } from "express";

interface NoteRow {
  id: number;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

const db = new DatabaseSync(process.env.BENCH_DATABASE as string);
db.exec("PRAGMA busy_timeout = 5000");
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec("PRAGMA foreign_keys = ON");
const select = db.prepare("SELECT * FROM notes WHERE id = :id");
const insert = db.prepare(
  "INSERT INTO notes (title, body, created_at, updated_at) VALUES (:title, :body, :now, :now) RETURNING *",
);
const record = db.prepare("INSERT INTO note_events (type, note_id, note, at) VALUES (:type, :noteId, :note, :at)");

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

function sendProblem(res: Response, status: number, detail: string): void {
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem({ status, detail })));
}

const app = express();
app.use(express.json({ limit: 1024 * 1024 }));

app.get("/healthz", (_req, res) => {
  res.json({ status: "ok", runtime: "sync", pid: process.pid });
});

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
  const now = new Date().toISOString();
  db.exec("BEGIN IMMEDIATE");
  let note: Note;
  try {
    note = toNote(insert.get({ ...body.data, now }) as unknown as NoteRow);
    record.run({ type: "created", noteId: note.id, note: JSON.stringify(note), at: now });
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  res.status(201).location(`/notes/${note.id}`).json(note);
});

app.listen(Number(process.env.BENCH_PORT), "127.0.0.1");
