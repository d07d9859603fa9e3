import { z } from "zod";
import { controller } from "./contract.ts";
import { PageQuery, page } from "./pagination.ts";
import { ProblemDetails } from "./problem.ts";

/** A note, the example resource of the sync app (stored in SQLite through node:sqlite). */
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

export const NewNote = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    body: z.string().max(10_000).default(""),
  })
  .meta({ id: "NewNote" });

export const NoteChanges = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    body: z.string().max(10_000).optional(),
  })
  .refine((changes) => changes.title !== undefined || changes.body !== undefined, "give title, body or both")
  .meta({ id: "NoteChanges" });

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
    body: NewNote,
    responses: { 201: Note },
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
    params: NoteId,
    body: NoteChanges,
    responses: { 200: Note, 404: ProblemDetails },
  },
  remove: {
    method: "DELETE",
    path: "/notes/:id",
    summary: "Delete a note",
    params: NoteId,
    responses: { 204: null, 404: ProblemDetails },
  },
});
