/**
 * The relay on PostgreSQL: sync-api's note writes NOTIFY as they commit and async-api LISTENs
 * (`noteEvents.listenUrl`), over a real server (Debian's, started here) and the real apps. The
 * polls are a minute apart, so an event that arrives in seconds came by a wake-up: a NOTIFY, or
 * the read after each reconnection (the listening connection's role is barred from logging in for
 * a while, so events commit while no one listens).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NOTES_WRITE_SCOPE, NoteEvent, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  type AppProcess,
  freePort,
  killWithFamily,
  type PostgresServer,
  postgresMissing,
  readSse,
  runsHere,
  type SseMessage,
  startPostgres,
  stopAll,
  waitFor,
} from "@repo/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { asyncApiSettings } from "../src/settings/index.ts";
import { startNotesApps } from "./notes-apps.ts";

const TOKEN = await signToken(developmentAuth, { subject: "listen-test", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });
/** The listening connection's password, percent-encoded in its URL: neither form may reach a log. */
const PASSWORD = { encoded: "l1sten%40pa55", decoded: "l1sten@pa55" };
/** Far longer than any wait below: an event that arrives came by a NOTIFY, or by a catch-up read. */
const POLL_MS = "60000";

let pg: PostgresServer | undefined;
/** The apps a test started: stopped after it (stopAll would stop the PostgreSQL server too). */
const apps: AppProcess[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => killWithFamily(app)));
});
afterAll(async () => {
  await stopAll();
  await pg?.remove();
});

const runs = runsHere("the relay on PostgreSQL", postgresMissing());
beforeAll(async () => {
  if (runs) pg = await startPostgres();
});

/** A database for one test, and a role `listener` with a password that LISTENs on it. */
function database(name: string) {
  const server = pg as PostgresServer;
  const url = server.createDatabase(name);
  server.psql(name, "DO $$ BEGIN CREATE ROLE listener LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  // The test server trusts every login on 127.0.0.1: the password is sent and ignored.
  const listenUrl = `postgres://listener:${PASSWORD.encoded}@127.0.0.1:${server.port}/${name}`;
  return { url, listenUrl };
}

/** sync-api (one worker) on `databaseUrl`, async-api relaying its feed with the settings `asyncEnv`. */
async function startBoth(databaseUrl: string, asyncEnv: Record<string, string>) {
  const both = await startNotesApps(TOKEN, {
    // Debug: sync-api's access lines show the relay's reads of the feed.
    sync: { SYNC_API_DATABASE__URL: databaseUrl, SYNC_API_LOG__LEVEL: "debug" },
    async: { ASYNC_API_LOG__LEVEL: "debug", ...asyncEnv },
  });
  apps.push(both.sync, both.async);
  return both;
}

/** An SSE client of the notes stream, collecting its events, once the stream is open. */
async function subscribe(asyncUrl: string) {
  const messages: SseMessage[] = [];
  const stop = new AbortController();
  void (async () => {
    for await (const message of readSse(`${asyncUrl}/events/notes`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: stop.signal,
    }))
      messages.push(message);
  })().catch(() => {});
  await waitFor("the stream to open", async () => (messages.some((m) => m.comment === "connected") ? true : undefined));
  const events = () => messages.filter((m) => m.event === "note").map((m) => NoteEvent.parse(JSON.parse(m.data ?? "")));
  return { events, close: () => stop.abort() };
}

/**
 * An app's log lines. Read leniently: at debug, the censor of secret values also replaces the
 * text `{}` (the empty `upstreamSecrets`' value) in the lines, which are then no longer JSON.
 */
const logLines = (app: AppProcess): Record<string, unknown>[] =>
  app
    .output()
    .split("\n")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

/** Whether `app` has logged `message` (from the start, or since line `from`). */
const logged = (app: AppProcess, message: string, from = 0) =>
  logLines(app)
    .slice(from)
    .some((line) => line.msg === message);

const WAIT = { timeoutMs: 10_000 };

/** Both apps on a new database, the relay listening on it and polling once a minute; a stream open. */
async function startListening(name: string) {
  const { url, listenUrl } = database(name);
  const both = await startBoth(url, {
    ASYNC_API_NOTE_EVENTS__LISTEN_URL: listenUrl,
    ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: POLL_MS,
    ASYNC_API_NOTE_EVENTS__LISTENING_POLL_INTERVAL_MS: POLL_MS,
  });
  await waitFor(
    "the relay to listen",
    async () => (logged(both.async, "listening for note events") ? true : undefined),
    {
      abortIf: both.async.exitReason,
    },
  );
  return { ...both, stream: await subscribe(both.asyncUrl) };
}

describe.skipIf(!runs)("the note-events relay on PostgreSQL (LISTEN/NOTIFY)", () => {
  it("a note change reaches a stream at once, though the relay polls once a minute", async () => {
    const { async, notesApi, stream } = await startListening("wake");
    for (const title of ["one", "two"]) await notesApi.create({ body: { title } });
    await waitFor("both events", async () => (stream.events().length === 2 ? true : undefined), WAIT);
    stream.close();
    expect(stream.events().map((e) => e.note?.title)).toEqual(["one", "two"]);
    // It stops cleanly, its connection closed.
    await async.stop("SIGTERM");
    expect(await async.exited).toEqual({ code: 0, signal: null });
  });

  it("across a restart of the server while notes are written, every committed change reaches the stream in order, none missing; the URL's password is never logged", async () => {
    const server = pg as PostgresServer;
    const { async, notesApi, stream } = await startListening("restart");

    // Notes written one after another the whole time; those answered 201 must all arrive.
    const attempted: string[] = [];
    const created: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const title = `note ${i}`;
        attempted.push(title);
        const answer = await notesApi.create({ body: { title } }).catch(() => undefined);
        if (answer?.status === 201) created.push(title);
        else await new Promise((resolve) => setTimeout(resolve, 50)); // the server is down: not a busy loop
      }
    })();
    try {
      await waitFor("events before the restart", async () => (stream.events().length >= 3 ? true : undefined), WAIT);
      const before = created.length;
      await server.stop();
      await server.start();
      await waitFor("writes after the restart", async () => (created.length >= before + 3 ? true : undefined), WAIT);
      await waitFor(
        "the relay to listen again",
        async () => (logged(async, "listening for note events again") ? true : undefined),
        WAIT,
      );
    } finally {
      writing = false;
      await writer;
    }
    const titles = () => stream.events().map((e) => e.note?.title ?? "");
    await waitFor(
      "every event written",
      async () => (created.every((t) => titles().includes(t)) ? true : undefined),
      WAIT,
    );
    stream.close();

    const events = stream.events();
    expect(titles().filter((title) => created.includes(title))).toEqual(created);
    // A write answered 503 as the server went down may have committed all the same: its event comes too.
    expect(titles().every((title) => attempted.includes(title))).toBe(true);
    expect(events.map((e) => e.id)).toEqual([...new Set(events.map((e) => e.id))].sort((a, b) => a - b));
    expect(logged(async, "lost the connection listening for note events; polling until it is back")).toBe(true);

    const output = async.output();
    expect(output).toContain(`postgres://127.0.0.1:${server.port}/restart`);
    expect(output).not.toContain(PASSWORD.encoded);
    expect(output).not.toContain(PASSWORD.decoded);
  });

  it("what commits while the connection is down comes by the read that follows each reconnection", async () => {
    const server = pg as PostgresServer;
    const { sync, async, notesApi, stream } = await startListening("catchup");
    await notesApi.create({ body: { title: "listened" } });
    await waitFor("the first event", async () => (stream.events().length === 1 ? true : undefined), WAIT);

    // The listening connection is cut, and may not log in again until told.
    const last = stream.events()[0]?.id;
    const feedReads = () => sync.output().split(`"url":"/note-events?after=${last}&`).length - 1;
    const readsBefore = feedReads();
    server.psql("catchup", "ALTER ROLE listener NOLOGIN");
    server.psql("catchup", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'listener'");
    await waitFor("the reconnection to fail", async () =>
      logged(async, "cannot LISTEN for note events on noteEvents.listenUrl; polling meanwhile, and retrying")
        ? true
        : undefined,
    );
    // The read the loss set off is done (sync-api logged its answer): the next poll is a minute away.
    await waitFor("the relay's read", async () => (feedReads() > readsBefore ? true : undefined), WAIT);
    for (const title of ["unheard 1", "unheard 2"]) await notesApi.create({ body: { title } });

    server.psql("catchup", "ALTER ROLE listener LOGIN");
    await waitFor(
      "the events committed meanwhile",
      async () => (stream.events().length === 3 ? true : undefined),
      WAIT,
    );
    stream.close();
    expect(stream.events().map((e) => e.note?.title)).toEqual(["listened", "unheard 1", "unheard 2"]);
  });

  it("a server that cannot be reached: async-api serves, the relay polls, a warning names the setting and never the password", async () => {
    const deadPort = await freePort();
    const { async, asyncUrl, notesApi } = await startBoth(
      join(mkdtempSync(join(tmpdir(), "listen-")), "notes.sqlite"),
      {
        ASYNC_API_NOTE_EVENTS__LISTEN_URL: `postgres://listener:${PASSWORD.encoded}@127.0.0.1:${deadPort}/none`,
        ASYNC_API_NOTE_EVENTS__POLL_INTERVAL_MS: "100",
      },
    );
    const stream = await subscribe(asyncUrl);
    await notesApi.create({ body: { title: "polled" } });
    await waitFor("the event, by polling", async () => (stream.events().length === 1 ? true : undefined), WAIT);
    stream.close();
    const warning = await waitFor("the warning", async () =>
      logLines(async).find((line) => String(line.msg).startsWith("cannot LISTEN")),
    );
    expect(warning).toMatchObject({ level: 40, database: `postgres://127.0.0.1:${deadPort}/none` });
    await async.stop("SIGTERM");
    expect(await async.exited).toEqual({ code: 0, signal: null });
    expect(async.output()).not.toContain(PASSWORD.encoded);
    expect(async.output()).not.toContain(PASSWORD.decoded);
  });
});

describe("noteEvents.listenUrl", () => {
  const listenUrl = (value: string) =>
    asyncApiSettings.resolve({ NODE_ENV: "test", ASYNC_API_NOTE_EVENTS__LISTEN_URL: value });

  it("takes a PostgreSQL URL, or a file's path (sync-api's database.url on SQLite, one secret for both) for polling only", () => {
    for (const value of ["postgres://listener:pw@db:5432/notes", "postgresql://db/notes", "/data/sync-api.sqlite"]) {
      const resolution = listenUrl(value);
      expect(resolution.ok && resolution.settings.noteEvents.listenUrl).toBe(value);
    }
  });

  it("refuses another scheme, or a URL that cannot be read, naming the key and never the value", () => {
    for (const value of ["mysql://listener:pw-in-it@db/notes", "postgres://listener:pw-in-it@[db/notes"]) {
      const resolution = listenUrl(value);
      expect(resolution.ok).toBe(false);
      if (resolution.ok) continue;
      expect(resolution.problems.map((problem) => problem.key)).toEqual(["noteEvents.listenUrl"]);
      expect(JSON.stringify(resolution.problems)).not.toContain("pw-in-it");
    }
  });
});
