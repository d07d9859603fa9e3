/** The examples in combined mode: the notes resource on a thread, and the relay to SSE clients. */
import { NOTES_WRITE_SCOPE, Note, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { ASYNC_PREFIX, postgresMissing, runsHere, startPostgres, stopAll, waitFor } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startCombined } from "./support.ts";

/** The notes' writes need a token with their scope; the stream any valid token. */
const WRITER = await signToken(developmentAuth, { subject: "combined-test", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });
const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${WRITER}` },
  body: JSON.stringify(body),
});

afterEach(stopAll);

/**
 * Opens the notes stream, creates a note titled `title`, and reads the stream until it tells of
 * it (or ends: a reader past `timeoutMs` fails); what it read.
 */
async function createAndRelay(url: string, title: string, timeoutMs = 30_000): Promise<string> {
  const stream = await fetch(`${url}${ASYNC_PREFIX}/events/notes?access_token=${WRITER}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  const reader = (stream.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  expect((await fetch(`${url}/notes`, json({ title }))).status).toBe(201);
  let seen = "";
  while (!seen.includes(`"${title}"`)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  await reader.cancel();
  return seen;
}

describe("combined mode's examples", () => {
  it("stores a note with a handler on a thread and reads it back, and keeps the internal feed private", async () => {
    const { url } = await startCombined();
    const created = await fetch(`${url}/notes`, json({ title: "from a thread" }));
    expect(created.status).toBe(201);
    const note = Note.parse(await created.json());
    expect(created.headers.get("location")).toBe(`/notes/${note.id}`);
    expect(Note.parse(await (await fetch(`${url}/notes/${note.id}`)).json())).toEqual(note);
    const invalid = await fetch(`${url}/notes`, json({ title: "" }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ errors: [expect.objectContaining({ location: "body.title" })] });
    const missing = await fetch(`${url}/notes/999999`, { headers: { "x-request-id": "find-me-1" } });
    expect(await missing.json()).toMatchObject({ status: 404, requestId: "find-me-1", instance: "/notes/999999" });

    // The internal feed is not served to the public: this process is the public entry.
    const feed = await fetch(`${url}/note-events`);
    expect(feed.status).toBe(404);
    expect(feed.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("relays a note created on a thread to SSE clients of the event loop", async () => {
    const { url } = await startCombined({ ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: "50" });
    expect(await createAndRelay(url, "relayed")).toContain('"type":"created"');
  });

  it.skipIf(!runsHere("combined mode's relay on PostgreSQL", postgresMissing()))(
    "on PostgreSQL, LISTENs on sync-api's database by itself: a change arrives at once, though the relay polls once a minute",
    async () => {
      const pg = await startPostgres();
      try {
        const { app, url } = await startCombined({
          SYNC_API_DATABASE__URL: pg.createDatabase("combined_listen"),
          ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: "60000",
          ASYNC_API_NOTE_EVENTS__LISTENING_POLL_INTERVAL_MS: "60000",
          ASYNC_API_LOG__LEVEL: "info",
        });
        await waitFor(
          "the relay to listen",
          async () => (app.output().includes('"msg":"listening for note events"') ? true : undefined),
          { abortIf: app.exitReason },
        );
        // Far sooner than the next poll: the NOTIFY woke the relay.
        expect(await createAndRelay(url, "notified", 10_000)).toContain('"title":"notified"');
      } finally {
        await stopAll();
        await pg.remove();
      }
    },
  );
});
