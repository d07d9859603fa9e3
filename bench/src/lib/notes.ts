/** The notes resource as benchmark traffic: a note to write, and one created to read. */
import { NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { BENCH_AUTH } from "./services.ts";

/** The token the bench's writes and streams are sent with: valid for a whole run (a day). */
export const BENCH_TOKEN = await signToken(BENCH_AUTH, {
  subject: "bench",
  scopes: [NOTES_WRITE_SCOPE],
  ttlS: 86_400,
});

/** A stream's URL with the token in its query (an older checkout, without auth, ignores it). */
export const withToken = (url: string) => `${url}${url.includes("?") ? "&" : "?"}access_token=${BENCH_TOKEN}`;

const NEW_NOTE = JSON.stringify({ title: "bench note", body: "written by pnpm bench" });
// With the token: the notes' writes need one (an older checkout ignores it).
const JSON_HEADERS = { "content-type": "application/json", authorization: `Bearer ${BENCH_TOKEN}` };

/** A `POST /notes` request: its body and headers, for a load. */
export const newNoteRequest = { method: "POST" as const, body: NEW_NOTE, headers: JSON_HEADERS };

/** Creates a note through the API at `origin` (sync-api, or combined mode's root) and returns its id. */
export async function createNote(origin: string): Promise<number> {
  const created = await fetch(`${origin}/notes`, { method: "POST", headers: JSON_HEADERS, body: NEW_NOTE });
  if (created.status !== 201)
    throw new Error(`POST ${origin}/notes answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { id: number }).id;
}
