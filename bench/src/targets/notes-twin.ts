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
export const prunedBefore = (at: Date) => new Date(at.getTime() - RETENTION.keepForMs).toISOString();

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
