import { decodeCursor, encodeCursor, notes, problem } from "@repo/contracts";
import { z } from "zod";
import type { Database } from "../db/database.ts";
import { route } from "../http/route.ts";
import { NotesStore, type OutboxRetention } from "../notes/store.ts";

/** Where a page of notes continues: below this id (notes are listed newest first). */
const Position = z.strictObject({ before: z.int().positive() });

const notFound = (id: number) =>
  ({ status: 404, body: problem({ status: 404, detail: `There is no note ${id}` }) }) as const;

/** The notes resource: synchronous handlers over the database (SQLite or PostgreSQL), the kind of work sync-api exists for. */
export function notesRoutes({ db, secretKey, outbox }: { db: Database; secretKey: string; outbox: OutboxRetention }) {
  const store = new NotesStore(db, outbox);
  return route(notes, {
    list: ({ query }) => {
      const before = query.cursor ? decodeCursor(query.cursor, secretKey, Position).before : undefined;
      const { notes: items, more } = store.page({ limit: query.limit, ...(before ? { before } : {}) });
      const last = items.at(-1);
      return { status: 200, body: { items, next: more && last ? encodeCursor({ before: last.id }, secretKey) : null } };
    },
    create: ({ body }) => {
      const note = store.create(body);
      return { status: 201, body: note, headers: { location: `/notes/${note.id}` } };
    },
    get: ({ params }) => {
      const note = store.get(params.id);
      return note ? { status: 200, body: note } : notFound(params.id);
    },
    update: ({ params, body }) => {
      const note = store.update(params.id, body);
      return note ? { status: 200, body: note } : notFound(params.id);
    },
    remove: ({ params }) => (store.remove(params.id) ? { status: 204 } : notFound(params.id)),
    changes: ({ query }) => ({ status: 200, body: store.events(query) }),
  });
}
