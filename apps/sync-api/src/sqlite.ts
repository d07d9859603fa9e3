/** SQLite as every process of sync-api opens it (node:sqlite): the app's database, the rate-limit store. */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { HttpProblem } from "@repo/contracts";

/**
 * When a commit is on disk (`PRAGMA synchronous`, under WAL). NORMAL: durable against a crash of
 * the process, but a power loss or kernel crash may lose the last commits, a 201 already sent
 * among them. FULL: an fsync per commit, durable against both (docs/deploy.md has the cost).
 */
export const SYNCHRONOUS_MODES = ["NORMAL", "FULL"] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

/**
 * Opens the SQLite database the way every process of sync-api must: WAL, so readers never wait
 * for the one writer; a busy timeout, so a worker that meets another's write lock waits for it
 * instead of failing with SQLITE_BUSY; `synchronous` as asked (NORMAL unless told); foreign keys on.
 */
export function openDatabase(
  path: string,
  { busyTimeoutMs, synchronous = "NORMAL" }: { busyTimeoutMs: number; synchronous?: SynchronousMode },
): DatabaseSync {
  // Checked again here, before anything is opened, because it is written into a statement.
  if (!SYNCHRONOUS_MODES.includes(synchronous)) throw new Error(`unknown synchronous mode ${String(synchronous)}`);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.exec("PRAGMA journal_mode = WAL");
  // A per-connection setting, not stored in the file: every connection sets it.
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

/**
 * SQLite's primary result codes for a database that cannot take a write now, through no fault of
 * the request: busy past the busy timeout, read-only, an I/O error, a full disk, a file it cannot
 * open.
 */
const UNAVAILABLE_CODES = new Set([5, 8, 10, 13, 14]);

/**
 * The 503 problem for an error that says the database cannot be written now (the client may try
 * again), or undefined for any other error. Nothing was committed: the transaction rolled back.
 */
export function unavailable(
  error: unknown,
  detail = "The database cannot take writes right now; nothing was changed",
): HttpProblem | undefined {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  if (typeof code !== "number" || !UNAVAILABLE_CODES.has(code & 0xff)) return undefined;
  return new HttpProblem(503, detail, {}, { "retry-after": "5" });
}
