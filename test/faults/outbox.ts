/**
 * The note-events outbox for the stream suites: a history written straight into sync-api's SQLite
 * file (thousands of events in a second, past the writes' rate limit), the apps' streams reached
 * through each hop (async-api itself, the dev proxy, nginx on the infra template), and what an SSE
 * client of them received.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type DevStack, nginxBinary, nginxInFront, readSse, type SseMessage, startProcess } from "@repo/testing";

/**
 * A fresh database with sync-api's schema, made by `db:migrate` (as a deploy step would), for a
 * history written before the apps start: async-api then starts on a long outbox, as after a restart.
 */
export async function migratedDatabase(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "outbox-")), "sync-api.sqlite");
  const migrate = startProcess(
    process.execPath,
    ["--conditions=@repo/source", "apps/sync-api/src/db-command.ts", "migrate"],
    {
      env: { SYNC_API_DATABASE__URL: path },
    },
  );
  const exit = await migrate.exited;
  if (exit.code !== 0) throw new Error(`db:migrate failed: ${migrate.output()}`);
  return path;
}

/**
 * Appends `count` `created` events of notes with a body of `bodyBytes`, written `when`, as sync-api's
 * writes would (the relay reads them from the feed like any other); returns the last id.
 */
export function seedOutbox(databasePath: string, count: number, bodyBytes = 9_000, when = new Date()): number {
  const db = new DatabaseSync(databasePath);
  try {
    db.exec("PRAGMA busy_timeout = 10000");
    const insert = db.prepare(
      "INSERT INTO note_events (type, note_id, note, at) VALUES ('created', :noteId, :note, :at) RETURNING id",
    );
    const at = when.toISOString();
    const body = "x".repeat(bodyBytes);
    let last = 0;
    db.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < count; i++) {
      const noteId = 1_000_000 + Math.floor(Math.random() * 1e9);
      const note = JSON.stringify({ id: noteId, title: `seeded ${i}`, body, createdAt: at, updatedAt: at });
      last = (insert.get({ noteId, note, at }) as { id: number }).id;
    }
    db.exec("COMMIT");
    return last;
  } finally {
    db.close();
  }
}

/** How many events the outbox keeps, and its oldest id. */
export function outboxRows(databasePath: string): { count: number; oldest: number | null } {
  const db = new DatabaseSync(databasePath, { readOnly: true });
  try {
    return db.prepare("SELECT count(*) AS count, min(id) AS oldest FROM note_events").get() as {
      count: number;
      oldest: number | null;
    };
  } finally {
    db.close();
  }
}

/** The origins a client reaches async-api's streams at: itself, the dev proxy, and nginx when the machine has it. */
export async function streamHops(stack: DevStack): Promise<{ name: string; events: string }[]> {
  const hops = [
    { name: "async-api", events: `${stack.asyncUrl}${stack.asyncPrefix}/events/notes` },
    { name: "dev proxy", events: `${stack.url}${stack.asyncPrefix}/events/notes` },
  ];
  const nginx = nginxBinary() ? await nginxInFront(stack) : undefined;
  if (nginx) hops.push({ name: "nginx", events: `${nginx.url}${stack.asyncPrefix}/events/notes` });
  else console.warn("no nginx on this machine: the stream tests skip its hop");
  return hops;
}

/**
 * Reads an SSE stream from `lastEventId` until `until` says the messages so far are enough (or
 * the stream ends); every message, comments left out.
 */
export async function readUntil(
  url: string,
  { token, lastEventId, until }: { token: string; lastEventId?: string; until: (messages: SseMessage[]) => boolean },
): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  const stop = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  for await (const message of readSse(url, { headers, signal: stop.signal })) {
    if (message.comment !== undefined) continue;
    messages.push(message);
    if (until(messages)) break;
  }
  stop.abort();
  return messages;
}
