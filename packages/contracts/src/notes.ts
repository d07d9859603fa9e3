import { z } from "zod";
import { controller } from "./contract.ts";
import { PageQuery, page } from "./pagination.ts";
import { ProblemDetails } from "./problem.ts";
import { bearer } from "./security.ts";

/** The scope a token needs to change notes; reading them is public. */
export const NOTES_WRITE_SCOPE = "notes:write";

/** A note, the example resource of the sync app (stored by sync-api, in SQLite or PostgreSQL). */
export const Note = z
  .object({
    id: z.int().positive(),
    title: z.string().min(1).max(200),
    body: z.string().max(10_000),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Note" });
export type Note = z.infer<typeof Note>;

/**
 * A note's text holds no NUL character (U+0000): PostgreSQL's text cannot store one, and a note is
 * the same on either database.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL is what this pattern refuses
const NO_NUL = /^[^\u0000]*$/;
const NO_NUL_MESSAGE = "must not contain a NUL character (U+0000)";

/**
 * A title: what is left after trimming must not be empty, nor hold a NUL. The published schema
 * says both in one pattern (`minLength` alone would allow " "; a second pattern would publish as
 * `allOf`); the checks say each once, so an empty title is one error, not two.
 */
const Title = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(NO_NUL, NO_NUL_MESSAGE)
  .meta({ description: "Not only whitespace; no NUL", pattern: "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$" });

const Body = z.string().max(10_000).regex(NO_NUL, NO_NUL_MESSAGE);

export const NewNote = z
  .strictObject({
    title: Title,
    body: Body.default(""),
  })
  .meta({ id: "NewNote" });

export const NoteChanges = z
  .strictObject({
    title: Title.optional(),
    body: Body.optional(),
  })
  .refine((changes) => changes.title !== undefined || changes.body !== undefined, "give title, body or both")
  // What the refinement enforces, said in the published schema too: `{}` is not a change.
  .meta({ id: "NoteChanges", minProperties: 1, description: "At least one of title and body" });

/**
 * A change to a note, from sync-api's outbox: written in the same transaction as the change, so
 * the feed misses nothing and its ids are in commit order. async-api relays them as SSE.
 */
export const NoteEvent = z
  .object({
    id: z.int().positive().meta({ description: "Increasing; the SSE event id, for Last-Event-ID resume" }),
    type: z.enum(["created", "updated", "deleted"]),
    noteId: z.int().positive(),
    note: Note.nullable().meta({ description: "The note after the change; null when deleted" }),
    at: z.iso.datetime(),
  })
  .meta({ id: "NoteEvent" });
export type NoteEvent = z.infer<typeof NoteEvent>;

/** The writes' limit per client (each write counted apart): a person typing, not a script. */
const WRITES = { limit: 60, windowMs: 60_000 };

const NoteId = z.object({ id: z.coerce.number().int().positive().meta({ description: "The note's id" }) });

export const notes = controller("notes", "sync", {
  list: {
    method: "GET",
    path: "/notes",
    summary: "List notes, newest first, a page at a time",
    query: PageQuery,
    responses: { 200: page(Note).meta({ id: "NotePage" }) },
  },
  create: {
    method: "POST",
    path: "/notes",
    summary: "Create a note",
    security: bearer(NOTES_WRITE_SCOPE),
    body: NewNote,
    responses: { 201: Note },
    rateLimit: WRITES,
  },
  get: {
    method: "GET",
    path: "/notes/:id",
    summary: "Read one note",
    params: NoteId,
    responses: { 200: Note, 404: ProblemDetails },
  },
  update: {
    method: "PATCH",
    path: "/notes/:id",
    summary: "Change a note's title or body",
    security: bearer(NOTES_WRITE_SCOPE),
    params: NoteId,
    body: NoteChanges,
    responses: { 200: Note, 404: ProblemDetails },
    rateLimit: WRITES,
  },
  changes: {
    method: "GET",
    path: "/note-events",
    summary: "The changes to notes after an event id, oldest first (the feed async-api relays as SSE)",
    query: z.object({
      after: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1_000).default(100),
    }),
    responses: {
      200: z
        .object({
          events: z.array(NoteEvent),
          prunedThrough: z.int().min(0).meta({
            description: "The newest id the outbox no longer keeps: a reader below it has missed changes that are gone",
          }),
          newest: z
            .int()
            .min(0)
            .meta({ description: "The newest event's id: where a reader that wants only what follows starts" }),
        })
        .meta({ id: "NoteEvents" }),
    },
    // async-api polls it twice a second, from its own network: the public never sees it.
    accessLogLevel: "debug",
    internal: true,
  },
  remove: {
    method: "DELETE",
    path: "/notes/:id",
    summary: "Delete a note",
    security: bearer(NOTES_WRITE_SCOPE),
    params: NoteId,
    responses: { 204: null, 404: ProblemDetails },
    rateLimit: WRITES,
  },
});
