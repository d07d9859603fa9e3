/**
 * Server-Sent Events and WebSockets on async-api, with note changes coming from a real sync-api
 * (SQLite outbox → feed → relay), over real sockets.
 */

import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NOTES_WRITE_SCOPE, NoteEvent, ProblemDetails, SocketServerMessage, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { type AppProcess, ASYNC_PREFIX, httpGet, readSse, type SseMessage, stopAll, waitFor } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startNotesApps } from "./notes-apps.ts";

afterEach(stopAll);

/** Both streams need a valid token; the notes' writes need their scope too. */
const TOKEN = await signToken(developmentAuth, { subject: "streams-test", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });
const bearer = { authorization: `Bearer ${TOKEN}` };

/** Both apps on a new SQLite file, the relay polling every 50 ms. */
function startBoth(asyncEnv: Record<string, string> = {}) {
  return startNotesApps(TOKEN, {
    sync: { SYNC_API_DATABASE__URL: join(mkdtempSync(join(tmpdir(), "streams-")), "notes.sqlite") },
    async: {
      ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: "50",
      ASYNC_API_SSE__HEARTBEAT_INTERVAL_MS: "200",
      ASYNC_API_LOG__LEVEL: "info",
      ...asyncEnv,
    },
  });
}

/** Reads an SSE stream in the background, collecting its messages. */
function collect(url: string, headers: Record<string, string> = bearer) {
  const messages: SseMessage[] = [];
  const stop = new AbortController();
  const done = (async () => {
    for await (const message of readSse(url, { headers, signal: stop.signal })) messages.push(message);
  })();
  const events = () => messages.filter((m) => m.event === "note").map((m) => NoteEvent.parse(JSON.parse(m.data ?? "")));
  return { messages, events, done, close: () => stop.abort() };
}

describe("Server-Sent Events", () => {
  it("delivers note changes made in sync-api, with heartbeats, and resumes with Last-Event-ID", async () => {
    const { asyncUrl, notesApi } = await startBoth();
    // EventSource's way: the token in the query, as it cannot set headers.
    const first = collect(`${asyncUrl}/events/notes?access_token=${TOKEN}`, {});
    await waitFor("the stream to open", async () =>
      first.messages.some((m) => m.comment === "connected") ? true : undefined,
    );
    for (const title of ["one", "two"]) await notesApi.create({ body: { title } });
    await waitFor("two events", async () => (first.events().length === 2 ? true : undefined));
    await waitFor("a heartbeat", async () =>
      first.messages.some((m) => m.comment === "heartbeat") ? true : undefined,
    );
    first.close();
    const seen = first.events();
    expect(seen.map((e) => [e.type, e.note?.title])).toEqual([
      ["created", "one"],
      ["created", "two"],
    ]);
    expect(first.messages.filter((m) => m.event === "note").map((m) => m.id)).toEqual(seen.map((e) => String(e.id)));

    // While no one listens, more changes happen; a client resuming from the last id gets exactly those.
    const created = await notesApi.create({ body: { title: "three" } });
    if (created.status !== 201) throw new Error("create failed");
    await notesApi.update({ params: { id: created.body.id }, body: { body: "changed" } });
    await notesApi.remove({ params: { id: created.body.id } });
    const resumed = collect(`${asyncUrl}/events/notes`, { ...bearer, "last-event-id": String(seen.at(-1)?.id) });
    await waitFor("the missed events", async () => (resumed.events().length === 3 ? true : undefined));
    resumed.close();
    expect(resumed.events().map((e) => [e.type, e.noteId])).toEqual([
      ["created", created.body.id],
      ["updated", created.body.id],
      ["deleted", created.body.id],
    ]);
    expect(resumed.events()[0]?.id).toBe((seen.at(-1)?.id ?? 0) + 1);
  });

  it("holds a batch for a client that does not read, not a queue of every event; once it reads it gets them all", async () => {
    const { asyncUrl, notesApi } = await startBoth({ ASYNC_API_SSE__MAX_QUEUED_BYTES: "16384" });
    // A raw socket that asks for the stream and does not read a byte for a while.
    const { port } = new URL(asyncUrl);
    const socket = connect(Number(port), "127.0.0.1");
    socket.pause();
    socket.write(
      `GET ${ASYNC_PREFIX}/events/notes HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const big = "x".repeat(9_000);
    for (let i = 0; i < 150; i++) await notesApi.create({ body: { title: `bulk ${i}`, body: big } });
    // Other clients are unaffected.
    expect((await fetch(`${asyncUrl}/healthz`)).status).toBe(200);
    // It was not dropped: reading now, it gets every event, in order.
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    socket.resume();
    await waitFor("every event", async () => ((text.match(/event: note/g) ?? []).length >= 150 ? true : undefined));
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => (ids[0] ?? 0) + i));
    socket.destroy();
  });

  it("refuses a request without a valid token with a 401 problem before the stream opens; the token never reaches the log", async () => {
    const { async, asyncUrl } = await startBoth();
    const missing = await fetch(`${asyncUrl}/events/notes`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(ProblemDetails.parse(await missing.json())).toMatchObject({ status: 401 });
    const forged = await signToken(
      { ...developmentAuth, jwtSecret: "not-the-api-key-but-32-characters-long" },
      {
        subject: "mallory",
        scopes: [],
        ttlS: 600,
      },
    );
    const invalid = await fetch(`${asyncUrl}/events/notes?access_token=${forged}`);
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
    await invalid.body?.cancel();
    const stream = collect(`${asyncUrl}/events/notes?access_token=${TOKEN}`, {});
    await waitFor("the stream to open", async () =>
      stream.messages.some((m) => m.comment === "connected") ? true : undefined,
    );
    stream.close();
    await waitFor("the refused request's log line", async () =>
      async.output().includes("access_token=[redacted]") ? true : undefined,
    );
    expect(async.output()).not.toContain(forged);
    expect(async.output()).not.toContain(TOKEN);
  });
});

/** A socket with the token in `?access_token=` (a browser's way), or with the headers given. */
async function openSocket(url: string, headers?: Record<string, string>) {
  const socket = headers ? new WebSocket(url, { headers }) : new WebSocket(`${url}?access_token=${TOKEN}`);
  const received: unknown[] = [];
  socket.on("message", (data) => received.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const next = async (count: number) => {
    await waitFor(`${count} messages`, async () => (received.length >= count ? true : undefined));
    return SocketServerMessage.parse(received[count - 1]);
  };
  return { socket, received, closed, next };
}

/** The HTTP answer to an upgrade the server refused. */
function refusedUpgrade(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; challenge: string | undefined; body: unknown }>((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => reject(new Error("the upgrade was accepted")));
    socket.once("error", () => {});
    socket.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => {
        text += String(chunk);
      });
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          challenge: response.headers["www-authenticate"] as string | undefined,
          body: JSON.parse(text),
        }),
      );
    });
  });
}

describe("WebSocket", () => {
  it("echoes, answers invalid messages with error frames, and keeps serving", async () => {
    const { asyncUrl } = await startBoth();
    const ws = asyncUrl.replace("http", "ws");
    const client = await openSocket(`${ws}/ws`);
    client.socket.send(JSON.stringify({ type: "echo", text: "hello" }));
    expect(await client.next(1)).toMatchObject({ type: "echo", text: "hello" });

    client.socket.send("{not json");
    expect(await client.next(2)).toMatchObject({
      type: "error",
      problem: { status: 400, detail: "The message is not valid JSON" },
    });

    client.socket.send(JSON.stringify({ type: "echo", text: 42, extra: true }));
    const invalid = await client.next(3);
    expect(invalid.type === "error" && invalid.errors?.map((e) => e.location)).toEqual(["message.text", "message"]);

    client.socket.send(JSON.stringify({ type: "shout" }));
    expect((await client.next(4)).type).toBe("error");

    // Still open, still answering.
    client.socket.send(JSON.stringify({ type: "echo", text: "still here" }));
    expect(await client.next(5)).toMatchObject({ type: "echo", text: "still here" });
    client.socket.close();
  });

  it("closes on a binary frame (1003) and on an oversized message (1009); the server keeps running", async () => {
    const { asyncUrl } = await startBoth({ ASYNC_API_WEBSOCKET__MAX_MESSAGE_BYTES: "1024" });
    const ws = asyncUrl.replace("http", "ws");
    const binary = await openSocket(`${ws}/ws`);
    binary.socket.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(1003);
    const oversized = await openSocket(`${ws}/ws`);
    oversized.socket.send(JSON.stringify({ type: "echo", text: "x".repeat(2_000) }));
    expect((await oversized.closed).code).toBe(1009);
    const fine = await openSocket(`${ws}/ws`);
    fine.socket.send(JSON.stringify({ type: "echo", text: "ok" }));
    expect(await fine.next(1)).toMatchObject({ type: "echo", text: "ok" });
    fine.socket.close();
  });

  it("delivers note changes to a subscribed socket", async () => {
    const { asyncUrl, notesApi } = await startBoth();
    // A client that can set headers (not a browser) sends the token as usual.
    const client = await openSocket(`${asyncUrl.replace("http", "ws")}/ws`, bearer);
    client.socket.send(JSON.stringify({ type: "subscribe", topic: "notes" }));
    expect(await client.next(1)).toEqual({ type: "subscribed", topic: "notes" });
    await notesApi.create({ body: { title: "over the socket" } });
    expect(await client.next(2)).toMatchObject({
      type: "note",
      event: { type: "created", note: { title: "over the socket" } },
    });
    client.socket.close();
  });

  it("refuses the upgrade without a valid token: a 401 problem, never a socket", async () => {
    const { asyncUrl } = await startBoth();
    const ws = `${asyncUrl.replace("http", "ws")}/ws`;
    const missing = await refusedUpgrade(ws);
    expect(missing).toMatchObject({ status: 401, challenge: 'Bearer realm="api"', body: { status: 401 } });
    const expired = await refusedUpgrade(`${ws}?access_token=not-a-jwt`);
    expect(expired.status).toBe(401);
    expect(expired.challenge).toMatch(/error="invalid_token"/);
    const header = await refusedUpgrade(ws, { authorization: "Bearer not-a-jwt" });
    expect(header.status).toBe(401);
    // The server still takes a valid one.
    const fine = await openSocket(ws);
    fine.socket.send(JSON.stringify({ type: "echo", text: "in" }));
    expect(await fine.next(1)).toMatchObject({ type: "echo", text: "in" });
    fine.socket.close();
  });
});

describe("graceful shutdown", () => {
  async function draining(app: AppProcess, asyncUrl: string) {
    // A slow request keeps the process in its drain long enough to look at it.
    const slow = fetch(`${asyncUrl}/_test/slow?ms=1500`);
    // Give it time to arrive (a request that arrives after SIGTERM gets the 503 of a draining app).
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(app.pid, "SIGTERM");
    await waitFor("the drain", async () => (app.output().includes("stopping: draining") ? true : undefined));
    // Wrapped: an async function returning the promise itself would wait for it.
    return { slow };
  }

  it("tells SSE and WebSocket clients to reconnect, refuses new requests with 503, finishes in-flight ones, exits 0", async () => {
    const { async, asyncUrl } = await startBoth({ ASYNC_API_SHUTDOWN__GRACEFUL_TIMEOUT_MS: "10000" });
    const stream = collect(`${asyncUrl}/events/notes`);
    await waitFor("the stream", async () => (stream.messages.length > 0 ? true : undefined));
    const socket = await openSocket(`${asyncUrl.replace("http", "ws")}/ws`);

    const { slow } = await draining(async, asyncUrl);
    const ready = await httpGet(`${asyncUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe("close");
    expect(JSON.parse(ready.body)).toMatchObject({ status: 503, detail: expect.stringMatching(/is draining$/) });
    expect((await httpGet(`${asyncUrl}/healthz`)).status).toBe(503);

    expect(await socket.closed).toMatchObject({ code: 1012 });
    await stream.done;
    expect(stream.messages.at(-1)).toMatchObject({ event: "reconnect", retry: "1000" });

    const inFlight = await slow;
    expect(inFlight.status).toBe(200);
    expect(await inFlight.json()).toMatchObject({ sleptMs: 1500 });
    expect((await async.exited).code).toBe(0);
  });
});
