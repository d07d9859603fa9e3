import { NoteEvent } from "@repo/contracts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Outbound } from "../outbound/client.ts";

/** What the relay reads the feed with: `getJson` of the URL `<baseUrl>/note-events?after=&limit=`. */
export type FeedReader = Pick<Outbound, "getJson">;

const Feed = z.object({ events: z.array(NoteEvent) });
const PAGE = 500;
/**
 * At start-up sync-api may not listen yet (`pnpm dev` starts both at once), and a restart (a save
 * under `pnpm dev`, a rolling update) takes it away for a moment: for this long an unreachable
 * feed is expected, and logged at debug only.
 */
const OUTAGE_GRACE_MS = 15_000;

/**
 * Brings sync-api's note changes to async-api. sync-api writes each change to an outbox table in
 * the change's own transaction and serves it as `GET /note-events?after=<id>`; this relay polls
 * that feed (the documented mechanism: an outbox and a poller, no broker to run), keeps the last
 * `bufferSize` events for resuming clients, and hands every new one to its subscribers.
 */
export class NoteEventsRelay {
  readonly #feedUrl: string;
  readonly #outbound: FeedReader;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #bufferSize: number;
  readonly #buffer: NoteEvent[] = [];
  readonly #subscribers = new Set<(event: NoteEvent) => void>();
  #last = 0;
  #running = false;
  #stop = new AbortController();
  #failing = false;
  #reached = false;
  #unreachableSince: number | undefined;
  #startedAt = 0;
  #caughtUp: Promise<void>;
  #markCaughtUp: () => void = () => {};

  constructor(options: {
    baseUrl: string;
    /** How the feed is read: the outbound HTTP client (or, in combined mode, the process itself). */
    outbound: FeedReader;
    logger: Logger;
    pollIntervalMs: number;
    bufferSize: number;
  }) {
    this.#feedUrl = `${options.baseUrl.replace(/\/+$/, "")}/note-events`;
    this.#outbound = options.outbound;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#bufferSize = options.bufferSize;
    this.#caughtUp = new Promise((resolve) => {
      this.#markCaughtUp = resolve;
    });
  }

  /** The id of the newest event seen: a client connecting without Last-Event-ID starts after it. */
  get lastId(): number {
    return this.#last;
  }

  /** Resolves once the relay has read the feed up to its end at least once. */
  caughtUp(): Promise<void> {
    return this.#caughtUp;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = performance.now();
    void this.#loop();
  }

  stop(): void {
    this.#running = false;
    this.#stop.abort(new Error("relay stopped"));
  }

  /** Calls `listener` for every new event until the returned function is called. */
  subscribe(listener: (event: NoteEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** The events after `lastId`, from the buffer when it reaches back that far, else from the feed. */
  async since(lastId: number, signal?: AbortSignal): Promise<NoteEvent[]> {
    const oldest = this.#buffer[0];
    if (oldest && oldest.id <= lastId + 1) return this.#buffer.filter((e) => e.id > lastId);
    const events: NoteEvent[] = [];
    for (let after = lastId; after < this.#last; ) {
      const page = await this.#fetch(after, signal);
      if (!page || page.length === 0) break;
      events.push(...page.filter((e) => e.id <= this.#last));
      after = page.at(-1)?.id ?? this.#last;
    }
    return events;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const page = await this.#fetch(this.#last, this.#stop.signal);
      for (const event of page ?? []) this.#publish(event);
      if (page && page.length < PAGE) this.#markCaughtUp();
      // A full page means more are waiting: read on at once.
      if (!page || page.length < PAGE) await sleep(this.#pollIntervalMs, this.#stop.signal);
    }
  }

  async #fetch(after: number, signal?: AbortSignal): Promise<NoteEvent[] | undefined> {
    try {
      const call = await this.#outbound.getJson(
        `${this.#feedUrl}?after=${after}&limit=${PAGE}`,
        signal ? { signal } : {},
      );
      const parsed = call.outcome === "ok" ? Feed.safeParse(call.body) : undefined;
      if (parsed?.success) {
        if (this.#failing) this.#logger.info("note events feed reachable again");
        this.#failing = false;
        this.#unreachableSince = undefined;
        this.#reached = true;
        return parsed.data.events;
      }
      const why = "detail" in call ? call.detail : `status ${call.httpStatus}`;
      // Not yet up at start, or restarting (a reload under `pnpm dev`, a rolling update): expected
      // for a while, so said at debug; an outage longer than that is a warning, once, not per poll.
      this.#unreachableSince ??= performance.now();
      const since = this.#reached ? this.#unreachableSince : this.#startedAt;
      if (performance.now() - since < OUTAGE_GRACE_MS) {
        this.#logger.debug({ url: this.#feedUrl, outcome: call.outcome, why }, "waiting for the note events feed");
        return undefined;
      }
      if (!this.#failing) {
        this.#logger.warn({ url: this.#feedUrl, outcome: call.outcome, why }, "note events feed unavailable; retrying");
      }
      this.#failing = true;
      return undefined;
    } catch {
      return undefined; // cancelled
    }
  }

  #publish(event: NoteEvent): void {
    if (event.id <= this.#last) return;
    this.#last = event.id;
    this.#buffer.push(event);
    if (this.#buffer.length > this.#bufferSize) this.#buffer.shift();
    for (const listener of this.#subscribers) listener(event);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
