/**
 * What the hand-written twins of sync-api's note routes share (express-notes.ts on SQLite,
 * express-notes-pg.ts on PostgreSQL): the table's row and the contract's note, problems, bare
 * Express 5 with its JSON body parser and a liveness route, and sync-api's default retention of
 * the outbox (apps/sync-api: settings, notes/store.ts), which both twins prune as sync-api does.
 */
import { type Note, PROBLEM_CONTENT_TYPE, problem } from "@repo/contracts";
import express, { type Express, type Response } from "express";

export interface NoteRow {
  id: number;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function sendProblem(res: Response, status: number, detail: string): void {
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem({ status, detail })));
}

/** The newest 10,000 events, none older than a week; at most 100 pruned by age per write. */
export const RETENTION = { keepEvents: 10_000, keepForMs: 7 * 24 * 60 * 60 * 1000, pruneBatch: 100 } as const;

/** The cut-off of the age limit for a write at `at`. */
const prunedBefore = (at: Date) => new Date(at.getTime() - RETENTION.keepForMs).toISOString();

/**
 * sync-api's prune (apps/sync-api/src/notes/store.ts), statement for statement: from where this
 * process last pruned to (`floor`), the events more than keepEvents behind the new one (`id`),
 * then the next oldest while they are past the age limit. `countThrough` says where the first
 * ends, `OLDEST` reads the next oldest from there, `ageThrough` where the second ends, `PRUNE`
 * deletes the run.
 */
export const prune = {
  countThrough: (floor: number, id: number) => Math.max(floor, id - RETENTION.keepEvents),
  OLDEST: "SELECT id, at FROM note_events WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3",
  ageThrough(through: number, oldest: readonly { id: number; at: string }[], at: Date): number {
    const cutoff = prunedBefore(at);
    for (const row of oldest) {
      if (row.at >= cutoff) break;
      through = row.id;
    }
    return through;
  },
  PRUNE: "DELETE FROM note_events WHERE id > $1 AND id <= $2",
} as const;

/** Bare Express 5 with JSON bodies (sync-api's limit) and `/healthz`, routes to be added. */
export function twinApp(runtime: "sync" | "async"): Express {
  const app = express();
  app.use(express.json({ limit: 1024 * 1024 }));
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", runtime, pid: process.pid });
  });
  return app;
}

/** Listens where the bench said (BENCH_PORT, loopback). */
export const listen = (app: Express) => app.listen(Number(process.env.BENCH_PORT), "127.0.0.1");
