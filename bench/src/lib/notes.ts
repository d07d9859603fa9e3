/** The notes resource as benchmark traffic: a note to write, and one created to read. */
const NEW_NOTE = JSON.stringify({ title: "bench note", body: "written by pnpm bench" });
const JSON_HEADERS = { "content-type": "application/json" };

/** A `POST /notes` request: its body and headers, for a load. */
export const newNoteRequest = { method: "POST" as const, body: NEW_NOTE, headers: JSON_HEADERS };

/** Creates a note through the API at `origin` (sync-api, or combined mode's root) and returns its id. */
export async function createNote(origin: string): Promise<number> {
  const created = await fetch(`${origin}/notes`, { method: "POST", headers: JSON_HEADERS, body: NEW_NOTE });
  if (created.status !== 201)
    throw new Error(`POST ${origin}/notes answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { id: number }).id;
}
