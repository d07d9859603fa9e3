/**
 * Resuming note events after many missed (issue 20, items 2 and 3): the backlog is read from the
 * outbox page by page as the client drains, so a resume after more than the relay's buffer
 * delivers every event; a resume from before what the outbox keeps gets a `resync` event whose id
 * is where the stream goes on. Each through async-api itself, the dev proxy and nginx.
 */
import { createClient, NoteEvent, notes } from "@repo/contracts";
import { type DevStack, startDevStack, stopAll } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { validToken } from "../support/tokens.ts";
import { outboxRows, readUntil, seedOutbox, streamHops } from "./outbox.ts";

const TOKEN = await validToken();
afterEach(() => stopAll());

const noteIds = (messages: { event?: string; data?: string }[]) =>
  messages.filter((m) => m.event === "note").map((m) => NoteEvent.parse(JSON.parse(m.data ?? "")).id);

/** Creates a note through the API: a real write, which prunes the outbox. */
async function writeNote(stack: DevStack, title: string) {
  const created = await createClient({ baseUrl: stack.url, token: TOKEN })
    .controller(notes)
    .create({ body: { title } });
  expect(created.status).toBe(201);
}

describe("a Last-Event-ID resume", () => {
  it("after 1,010 or 3,000 missed events delivers every one, in order, to a client that reads (async-api, dev proxy, nginx)", async () => {
    const stack = await startDevStack({ syncWorkers: 1 });
    // Notes of ~9 KB, as the repro: more than a socket's buffers take at once.
    const last = seedOutbox(stack.databaseUrl, 3_500, 9_000);
    for (const hop of await streamHops(stack)) {
      for (const gap of [1_010, 3_000]) {
        const messages = await readUntil(hop.events, {
          token: TOKEN,
          lastEventId: String(last - gap),
          until: (received) => received.at(-1)?.id === String(last),
        });
        const ids = noteIds(messages);
        expect(ids.length, `${hop.name}, ${gap} missed`).toBe(gap);
        expect(ids, hop.name).toEqual(Array.from({ length: gap }, (_, i) => last - gap + 1 + i));
      }
    }
    expect(stack.processes["async-api"].output()).not.toMatch(/dropped/);
  }, 120_000);

  it("from before what the outbox keeps gets a resync event; its id resumes from there, not from the old id", async () => {
    // The relay's buffer keeps fewer than the outbox: a resume from before both reads the feed.
    const stack = await startDevStack({
      syncWorkers: 1,
      syncEnv: { SYNC_API_NOTE_EVENTS__KEEP_EVENTS: "100" },
      asyncEnv: { ASYNC_API_NOTE_EVENTS__BUFFER_SIZE: "10" },
    });
    seedOutbox(stack.databaseUrl, 300, 200);
    // A write through the API prunes the outbox down to its newest 100.
    await writeNote(stack, "pruning");
    expect(outboxRows(stack.databaseUrl).count).toBe(100);
    for (const hop of await streamHops(stack)) {
      // Each hop's turn writes one more note, which prunes one more event.
      const prunedThrough = (outboxRows(stack.databaseUrl).oldest ?? 0) - 1;
      const [resync] = await readUntil(hop.events, { token: TOKEN, lastEventId: "5", until: () => true });
      expect(resync?.event, hop.name).toBe("resync");
      const from = Number(resync?.id);
      // The newest event the relay had: where the stream goes on, and what EventSource resumes from.
      expect(from, hop.name).toBeGreaterThanOrEqual(prunedThrough + 100);
      expect(JSON.parse(resync?.data ?? "")).toEqual({ lastEventId: from, prunedThrough });

      // An EventSource reconnecting after it sends that id: only what follows, no resync again.
      await writeNote(stack, `after the resync through ${hop.name}`);
      const resumed = await readUntil(hop.events, {
        token: TOKEN,
        lastEventId: String(from),
        until: (received) => received.some((m) => m.data?.includes(`through ${hop.name}`)),
      });
      expect(resumed.map((m) => m.event)).not.toContain("resync");
      expect(noteIds(resumed)[0], hop.name).toBe(from + 1);
    }
  }, 90_000);
});

describe("the note-events outbox", () => {
  it("is pruned by age too: events older than noteEvents.keepForMs go as the next is written, and the feed says so", async () => {
    const stack = await startDevStack({ syncWorkers: 1, syncEnv: { SYNC_API_NOTE_EVENTS__KEEP_FOR_MS: "60000" } });
    const old = seedOutbox(stack.databaseUrl, 50, 100, new Date(Date.now() - 3_600_000));
    seedOutbox(stack.databaseUrl, 5, 100);
    await writeNote(stack, "pruning by age");
    expect(outboxRows(stack.databaseUrl)).toEqual({ count: 6, oldest: old + 1 });
    // The internal feed, asked directly (as the relay does): what is gone, and what is newest.
    const feed = (await (await fetch(`${stack.syncUrl}/note-events?after=0&limit=1`)).json()) as {
      prunedThrough: number;
      newest: number;
    };
    expect(feed).toMatchObject({ prunedThrough: old, newest: old + 6 });
  });
});
