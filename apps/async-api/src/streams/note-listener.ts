/**
 * PostgreSQL's way to the relay: one connection (node-postgres, asynchronous) that LISTENs on the
 * channel sync-api's note writes NOTIFY as they commit, so the relay reads the feed at once
 * instead of at its next poll. A wake-up only: the events, their order and any catch-up still come
 * from the outbox feed, so a notification lost with a dropped connection loses nothing. After each
 * (re)connect the relay reads the feed once, for what committed while no one listened; while the
 * connection is down it polls at its ordinary interval. A server that is down or refuses the login
 * is retried with backoff, never a crash nor a wait at start-up.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { describePostgresUrl } from "@repo/shared-settings";
import pg from "pg";
import type { Logger } from "pino";

/** The channel sync-api's notes store NOTIFYs (apps/sync-api/src/notes/store.ts). */
const CHANNEL = "note_events";
/** Reconnection waits: doubling from the first to the last, then the last, until it is back. */
const RECONNECT_MS = { first: 250, last: 10_000 } as const;
/** A connection attempt that has not finished by then failed. */
const CONNECT_TIMEOUT_MS = 5_000;
/** TCP keepalives, so a server that vanished without a word is found out, eventually. */
const KEEPALIVE_IDLE_MS = 10_000;

/** What the listener tells the relay (NoteEventsRelay). */
export interface Wakeable {
  /** Read the feed now: event `id` has committed (undefined: an unreadable payload). */
  wake(id?: number): void;
  /** Whether notifications come now: on (re)connecting the relay catches up, and polls seldom. */
  notified(on: boolean): void;
}

export class NoteEventsListener {
  readonly #url: string;
  readonly #where: string;
  readonly #relay: Wakeable;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #running = false;
  /** Whether a connection has listened before: the next one is a reconnection. */
  #listened = false;
  /** The connection while it listens: stop() ends it. */
  #client: pg.Client | undefined;
  #done: Promise<void> = Promise.resolve();

  constructor(options: { url: string; relay: Wakeable; logger: Logger }) {
    this.#url = options.url;
    this.#where = describePostgresUrl(options.url);
    this.#relay = options.relay;
    this.#logger = options.logger;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#run();
  }

  /** Stops listening; resolves once the connection has closed. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stop.abort();
    // An attempt still connecting is ended by the loop as soon as it settles: not waited for here,
    // so a shutdown never waits on an unreachable server's timeout.
    const client = this.#client;
    if (!client) return;
    await client.end().catch(() => {});
    await this.#done;
  }

  async #run(): Promise<void> {
    let wait: number = RECONNECT_MS.first;
    let failures = 0;
    while (this.#running) {
      const client = new pg.Client({
        connectionString: this.#url,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        keepAlive: true,
        keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
        application_name: "async-api note events",
      });
      // Always listened to: an 'error' event without a listener would end the process.
      const lost = new Promise<Error | undefined>((resolve) => {
        client.on("error", resolve);
        client.on("end", () => resolve(undefined));
      });
      client.on("notification", ({ channel, payload }) => {
        if (channel !== CHANNEL) return;
        const id = Number(payload);
        this.#relay.wake(Number.isSafeInteger(id) ? id : undefined);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
      } catch (error) {
        void client.end().catch(() => {});
        if (!this.#running) return;
        this.#failed(error, failures++);
        // Cut short by stop(): the loop then ends.
        await sleep(wait, undefined, { signal: this.#stop.signal }).catch(() => {});
        wait = Math.min(wait * 2, RECONNECT_MS.last);
        continue;
      }
      if (!this.#running) {
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
      this.#logger.info(
        { database: this.#where },
        this.#listened ? "listening for note events again" : "listening for note events",
      );
      this.#listened = true;
      failures = 0;
      wait = RECONNECT_MS.first;
      this.#relay.notified(true);
      const why = await lost;
      this.#client = undefined;
      this.#relay.notified(false);
      if (!this.#running) return;
      this.#logger.warn(
        { database: this.#where, why: why?.message ?? "closed" },
        "lost the connection listening for note events; polling until it is back",
      );
      void client.end().catch(() => {});
    }
  }

  /** The first failure of a run is a warning that names the setting; the retries after it, debug. */
  #failed(error: unknown, failures: number): void {
    const why = error instanceof Error ? error.message : String(error);
    if (failures === 0) {
      this.#logger.warn(
        { database: this.#where, why },
        "cannot LISTEN for note events on noteEvents.listenUrl; polling meanwhile, and retrying",
      );
    } else {
      this.#logger.debug({ database: this.#where, why, failures }, "still cannot LISTEN for note events");
    }
  }
}
