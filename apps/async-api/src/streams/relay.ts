import { NoteEvent } from "@repo/contracts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Outbound } from "../outbound/client.ts";
import { EventFrame, upToBytes } from "./frames.ts";

/** What the relay reads the feed with: `getJson` of the URL `<baseUrl>/note-events?after=&limit=`. */
export type FeedReader = Pick<Outbound, "getJson">;

/** A page of the feed; `prunedThrough`: the outbox no longer keeps the events up to this id. */
const Feed = z.object({
  events: z.array(NoteEvent),
  prunedThrough: z.int().min(0).default(0),
  /** The newest id: at start, the relay reads only the last `bufferSize` before it, not the whole outbox. */
  newest: z.int().min(0).optional(),
});
type FeedPage = { frames: EventFrame[]; prunedThrough: number };

/** What a stream reads next: events after its position, or word that the ones it needs are gone. */
export type AfterResult = { frames: EventFrame[] } | { prunedThrough: number };
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
 * `bufferSize` events (each serialised once, for every client) and tells its subscribers of each
 * new one. A stream further behind reads the feed a page at a time, as its client takes them.
 * On PostgreSQL a LISTEN connection (note-listener.ts) wakes it as each event commits: the poll
 * is then a safety net, at `listeningPollIntervalMs`.
 */
export class NoteEventsRelay {
  readonly #feedUrl: string;
  readonly #outbound: FeedReader;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #listeningPollIntervalMs: number;
  readonly #bufferSize: number;
  readonly #pageSize: number;
  readonly #buffer: EventFrame[] = [];
  readonly #subscribers = new Set<(frame: EventFrame) => void>();
  /** Feed reads in flight, by position: streams resuming from the same place share one read. */
  readonly #pages = new Map<number, Promise<FeedPage | undefined>>();
  #last = 0;
  #running = false;
  #stop = new AbortController();
  #failing = false;
  #reached = false;
  #unreachableSince: number | undefined;
  #startedAt = 0;
  /** Whether the first read of the feed has placed `#last` (at most `bufferSize` before its end). */
  #positioned = false;
  #caughtUp: Promise<void>;
  #markCaughtUp: () => void = () => {};
  /** Whether a LISTEN connection tells of each event now (notified()). */
  #notified = false;
  /** A wake-up came since the current read began: that read may have missed its event. */
  #woken = false;
  /** Ends the loop's current sleep early. */
  #interrupt: (() => void) | undefined;

  constructor(options: {
    baseUrl: string;
    /** How the feed is read: the outbound HTTP client (or, in combined mode, the process itself). */
    outbound: FeedReader;
    logger: Logger;
    pollIntervalMs: number;
    /** The poll interval while notifications come (notified(true)): a safety net only. */
    listeningPollIntervalMs?: number;
    bufferSize: number;
    /** Events per read of the feed. */
    pageSize: number;
  }) {
    this.#feedUrl = `${options.baseUrl.replace(/\/+$/, "")}/note-events`;
    this.#outbound = options.outbound;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#listeningPollIntervalMs = options.listeningPollIntervalMs ?? options.pollIntervalMs;
    this.#bufferSize = options.bufferSize;
    this.#pageSize = options.pageSize;
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

  /**
   * Reads the feed now, not at the next poll: event `id` has committed (a NOTIFY), or, without an
   * id, there may be events no one told of. An id already relayed wakes nothing.
   */
  wake(id?: number): void {
    if (id !== undefined && this.#positioned && id <= this.#last) return;
    this.#woken = true;
    this.#interrupt?.();
  }

  /**
   * Whether notifications come now (a LISTEN connection is up): then the feed is polled only every
   * `listeningPollIntervalMs`. Either way it is read at once: on (re)connecting, for the events
   * committed while no one listened; on losing it, to poll at the ordinary interval from now.
   */
  notified(on: boolean): void {
    this.#notified = on;
    this.wake();
  }

  /** Calls `listener` for every new event until the returned function is called. */
  subscribe(listener: (frame: EventFrame) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /**
   * The next events after `lastId`, at most `maxBytes` of them (at least one): from the buffer
   * when it reaches back that far, else one page of the feed; when there are none yet, waits for
   * the next one (or `signal`: then none). `prunedThrough` when the outbox no longer keeps them.
   * Never more than a page at once: a stream further behind reads on as its client drains.
   */
  async after(lastId: number, maxBytes: number, signal: AbortSignal): Promise<AfterResult> {
    while (!signal.aborted) {
      // Checked and waited for in one synchronous step, so no event falls between the two.
      const buffered = this.#buffered(lastId);
      if (buffered && buffered.length > 0) return { frames: upToBytes(buffered, maxBytes) };
      if (buffered) {
        await this.#nextEvent(signal);
        continue;
      }
      const page = await this.#page(lastId);
      if (page && lastId < page.prunedThrough) return { prunedThrough: page.prunedThrough };
      const frames = page?.frames.filter((frame) => frame.id > lastId) ?? [];
      if (frames.length > 0) return { frames: upToBytes(frames, maxBytes) };
      // The feed is unreachable, or has nothing after lastId yet: try again after the next event.
      await this.#nextEvent(signal);
    }
    return { frames: [] };
  }

  /** The buffered events after `lastId`; [] when caught up, undefined when the buffer starts later. */
  #buffered(lastId: number): EventFrame[] | undefined {
    if (lastId >= this.#last) return [];
    const oldest = this.#buffer[0];
    if (!oldest || oldest.id > lastId + 1) return undefined;
    // Ids increase: find the first one after lastId by bisection, not by a scan per client.
    let low = 0;
    let high = this.#buffer.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#buffer[middle] as EventFrame).id <= lastId) low = middle + 1;
      else high = middle;
    }
    return this.#buffer.slice(low);
  }

  /** One page of the feed after `after`, shared by every stream that asks for it meanwhile. */
  #page(after: number): Promise<FeedPage | undefined> {
    let page = this.#pages.get(after);
    if (!page) {
      page = this.#fetch(after).then((read) => {
        this.#pages.delete(after);
        return read && { frames: read.events.map((event) => new EventFrame(event)), prunedThrough: read.prunedThrough };
      });
      this.#pages.set(after, page);
    }
    return page;
  }

  /** Resolves at the next event published, or when `signal` aborts. */
  #nextEvent(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const unsubscribe = this.subscribe(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      const read = await this.#fetch(this.#last, this.#stop.signal);
      // The first read: a long outbox is not read whole at each start, only what the buffer keeps
      // (a client resuming from further back reads its pages from the feed). Later reads skip
      // nothing: a subscriber (a WebSocket) has no other way to get an event.
      if (read && !this.#positioned) {
        this.#positioned = true;
        const start = (read.newest ?? 0) - this.#bufferSize;
        if (start > (read.events[0]?.id ?? 0)) {
          this.#last = start;
          continue;
        }
      }
      const events = read?.events;
      for (const event of events ?? []) this.#publish(event);
      if (events && events.length < this.#pageSize) this.#markCaughtUp();
      // A full page means more are waiting: read on at once; so may a wake-up during the read.
      if (events && (events.length === this.#pageSize || this.#woken)) continue;
      await this.#sleep(events && this.#notified ? this.#listeningPollIntervalMs : this.#pollIntervalMs);
    }
  }

  /** Waits `ms`, or until a wake-up or stop(). */
  #sleep(ms: number): Promise<void> {
    if (this.#woken || !this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#interrupt = done;
    });
  }

  async #fetch(after: number, signal?: AbortSignal): Promise<z.infer<typeof Feed> | undefined> {
    try {
      const call = await this.#outbound.getJson(
        `${this.#feedUrl}?after=${after}&limit=${this.#pageSize}`,
        signal ? { signal } : {},
      );
      const parsed = call.outcome === "ok" ? Feed.safeParse(call.body) : undefined;
      if (parsed?.success) {
        if (this.#failing) this.#logger.info("note events feed reachable again");
        this.#failing = false;
        this.#unreachableSince = undefined;
        this.#reached = true;
        return parsed.data;
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
    const frame = new EventFrame(event);
    this.#buffer.push(frame);
    if (this.#buffer.length > this.#bufferSize) this.#buffer.shift();
    for (const listener of [...this.#subscribers]) listener(frame);
  }
}
