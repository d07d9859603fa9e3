/**
 * sync-api's `GET /notes/:id` and `POST /notes` written by hand the usual Node way: bare Express 5,
 * the contract's own zod schemas, and node-postgres (`pg`) awaited on a pool, on the database
 * sync-api's migrations created. The SQL is sync-api's NotesStore's, statement for statement (the
 * outbox's advisory lock, the note, its event, the retention's prune), each a named (prepared)
 * statement, so that against sync-api on PostgreSQL what differs is the driver's model (libpq's
 * synchronous calls, one connection per worker, against async calls on a pool of connections in
 * one process) and sync-api's layer (contract, logger, request ids, token check), which the SQLite
 * twin (express-notes.ts) prices on its own.
 */
import { type Note, notes } from "@repo/contracts";
import pg from "pg";
import { listen, type NoteRow, prune, RETENTION, sendProblem, toNote, twinApp } from "./notes-twin.ts";

/** The pool's size: the scenario's, which its report quotes (pg's default, 10, without it). */
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);
/** sync-api's outbox lock (apps/sync-api/src/notes/store.ts): writes commit in id order. */
const OUTBOX_LOCK = 0x6e6f7465;

const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE as string, max: POOL_SIZE });

const SELECT = { name: "select-note", text: "SELECT * FROM notes WHERE id = $1" };
const LOCK = { name: "outbox-lock", text: "SELECT pg_advisory_xact_lock($1)" };
const INSERT = {
  name: "insert-note",
  text: "INSERT INTO notes (title, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING *",
};
const RECORD = {
  name: "insert-event",
  text: "INSERT INTO note_events (type, note_id, note, at) VALUES ($1, $2, $3, $4) RETURNING id",
};
const OLDEST = { name: "oldest-events", text: prune.OLDEST };
const PRUNE = { name: "prune", text: prune.PRUNE };
/** Where this process last pruned to, as sync-api's store keeps it. */
let floor = 0;

const app = twinApp("async");

app.get("/notes/:id", async (req, res) => {
  const params = notes.endpoints.get.params.safeParse(req.params);
  if (!params.success) return sendProblem(res, 400, params.error.message);
  const row = (await pool.query<NoteRow>({ ...SELECT, values: [params.data.id] })).rows[0];
  if (!row) return sendProblem(res, 404, `There is no note ${params.data.id}`);
  res.json(toNote(row));
});

app.post("/notes", async (req, res) => {
  const body = notes.endpoints.create.body.safeParse(req.body);
  if (!body.success) return sendProblem(res, 400, body.error.message);
  const at = new Date();
  const now = at.toISOString();
  const client = await pool.connect();
  let note: Note;
  let failed: Error | undefined;
  try {
    await client.query("BEGIN");
    await client.query({ ...LOCK, values: [OUTBOX_LOCK] });
    const inserted = await client.query<NoteRow>({ ...INSERT, values: [body.data.title, body.data.body, now] });
    note = toNote(inserted.rows[0] as NoteRow);
    const recorded = await client.query<{ id: number }>({
      ...RECORD,
      values: ["created", note.id, JSON.stringify(note), now],
    });
    const id = recorded.rows[0]?.id ?? 0;
    const from = floor;
    const counted = prune.countThrough(from, id);
    const oldest = await client.query<{ id: number; at: string }>({
      ...OLDEST,
      values: [counted, id, RETENTION.pruneBatch],
    });
    const through = prune.ageThrough(counted, oldest.rows, at);
    if (through > from) await client.query({ ...PRUNE, values: [from, through] });
    await client.query("COMMIT");
    floor = Math.max(floor, through);
  } catch (error) {
    failed = error as Error;
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    // A connection that failed mid-transaction is dropped, not handed to the next request.
    client.release(failed);
  }
  res.status(201).location(`/notes/${note.id}`).json(note);
});

listen(app);
