import type { ServerResponse } from "node:http";
import { type Authenticate, noteEventsStream, REQUEST_ID_HEADER } from "@repo/contracts";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { streamSecurity } from "../http/auth.ts";
import { closedStreamQuery } from "../http/stream-query.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import type { BudgetHolder, StreamBudget } from "./budget.ts";
import type { NoteEventsRelay } from "./relay.ts";
import { SSE_HEADERS } from "./sse-head.ts";
import { atTokenExpiry, tokenExpiredMessage } from "./token-expiry.ts";

/**
 * One SSE client, pulling: it asks the relay for the next events after the last one it sent (from
 * the relay's buffer, or a page of the feed when further behind), writes them, and asks again only
 * once its client has taken them (`drain`). So a slow reader holds at most `maxQueuedBytes` unsent
 * (one batch, its frames shared with every other client) and is never dropped for being slow; a
 * resume from far back reads the outbox page by page as the client drains. At the process's bound
 * (`budget`) the streams stalled longest are dropped to make room: they can resume with Last-Event-ID.
 */
class SseConnection implements BudgetHolder {
  readonly #res: ServerResponse;
  readonly #relay: NoteEventsRelay;
  readonly #budget: StreamBudget;
  readonly #maxQueuedBytes: number;
  readonly #log: FastifyBaseLogger;
  readonly #stop = new AbortController();
  #lastId: number;
  /** A write was refused (over the socket's high-water mark): nothing more until `drain`. */
  #blocked = false;
  closed = false;

  constructor(
    res: ServerResponse,
    options: {
      lastId: number;
      relay: NoteEventsRelay;
      budget: StreamBudget;
      maxQueuedBytes: number;
      log: FastifyBaseLogger;
    },
  ) {
    this.#res = res;
    this.#lastId = options.lastId;
    this.#relay = options.relay;
    this.#budget = options.budget;
    this.#maxQueuedBytes = options.maxQueuedBytes;
    this.#log = options.log;
    res.on("drain", () => {
      this.#blocked = false;
      if (!this.closed) this.#budget.hold(this, this.#res.writableLength, true);
    });
    res.once("close", () => this.#closed());
  }

  /** Sends events from `lastId` on until the connection closes. */
  async run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!this.closed) {
      // Nothing more until the client has taken what it was given.
      if (this.#blocked) {
        await this.#drained();
        continue;
      }
      const next = await this.#relay.after(this.#lastId, this.#maxQueuedBytes, signal);
      if (this.closed) return;
      if ("prunedThrough" in next) {
        await this.#resync(next.prunedThrough);
        continue;
      }
      const bytes = next.frames.reduce((sum, frame) => sum + frame.sse.length, 0);
      if (!this.#budget.hold(this, this.#res.writableLength + bytes)) {
        this.drop();
        return;
      }
      for (const frame of next.frames) if (!this.#res.write(frame.sse)) this.#blocked = true;
      this.#lastId = next.frames.at(-1)?.id ?? this.#lastId;
      this.#budget.hold(this, this.#res.writableLength);
    }
  }

  /** Closes the stream: the process's streams need the room (it can resume with Last-Event-ID). */
  drop(): void {
    if (this.closed) return;
    this.#log.warn(
      { lastEventId: this.#lastId, processBytes: this.#budget.total },
      "SSE client dropped: the streams' memory bound is reached; it can resume with Last-Event-ID",
    );
    this.#res.destroy();
  }

  /** A comment line, unless the client has not taken what it has (the stream is not idle then). */
  comment(text: string): void {
    if (!this.closed && this.#res.writableLength === 0) this.#res.write(`: ${text}\n\n`);
  }

  /** Tells the client to come back (to another instance) and ends the stream. */
  reconnect(): void {
    this.end("retry: 1000\nevent: reconnect\ndata: {}\n\n");
  }

  /** Ends the stream with a last message. */
  end(last: string): void {
    if (this.closed) return;
    this.#res.end(last);
    this.#closed();
  }

  /**
   * The events after the client's last one are pruned from the outbox: a `resync` event tells it
   * to reload what it shows, and carries as its id where the stream goes on (the newest event),
   * so that EventSource, should it reconnect, resumes from there and not from the old id again.
   */
  async #resync(prunedThrough: number): Promise<void> {
    await Promise.race([this.#relay.caughtUp(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    if (this.closed) return;
    const from = Math.max(this.#relay.lastId, prunedThrough);
    this.#log.info(
      { lastEventId: this.#lastId, prunedThrough, from },
      "SSE resume from before the outbox keeps: resync",
    );
    this.#lastId = from;
    this.#res.write(`id: ${from}\nevent: resync\ndata: ${JSON.stringify({ lastEventId: from, prunedThrough })}\n\n`);
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#res.off("drain", done);
        this.#res.off("close", done);
        resolve();
      };
      this.#res.once("drain", done);
      this.#res.once("close", done);
    });
  }

  #closed(): void {
    this.closed = true;
    this.#stop.abort();
    this.#budget.release(this);
  }
}

function parseEventId(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === "string" && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/**
 * `GET <prefix>/events/notes`: note changes as Server-Sent Events. Heartbeat comments keep it
 * alive through proxies; `Last-Event-ID` (or `?lastEventId=`) resumes after a given event.
 */
export function registerNoteEvents(
  app: FastifyInstance,
  {
    relay,
    budget,
    lifecycle,
    settings,
    authenticate,
  }: {
    relay: NoteEventsRelay;
    budget: StreamBudget;
    lifecycle: Lifecycle;
    settings: AsyncApiSettings["sse"];
    authenticate: Authenticate;
  },
): void {
  app.get(
    noteEventsStream.path,
    {
      ...streamSecurity(app, noteEventsStream.security, authenticate),
      ...closedStreamQuery(["lastEventId"], noteEventsStream.security),
    },
    async (request, reply) => {
      const resumeFrom =
        parseEventId(request.headers["last-event-id"]) ??
        parseEventId((request.query as Record<string, unknown>).lastEventId);
      // A client without Last-Event-ID starts with what happens from now on.
      if (resumeFrom === undefined) await Promise.race([relay.caughtUp(), new Promise((r) => setTimeout(r, 2_000))]);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, { ...SSE_HEADERS, [REQUEST_ID_HEADER]: request.id });
      const connection = new SseConnection(res, {
        lastId: resumeFrom ?? relay.lastId,
        relay,
        budget,
        maxQueuedBytes: settings.maxQueuedBytes,
        log: request.log,
      });
      connection.comment("connected");
      const heartbeat = setInterval(() => connection.comment("heartbeat"), settings.heartbeatIntervalMs);
      const forget = lifecycle.track(() => connection.reconnect());
      const expiry = atTokenExpiry(request.principal, () =>
        connection.end(tokenExpiredMessage(noteEventsStream.tokenExpiredEvent)),
      );
      res.once("close", () => {
        expiry();
        clearInterval(heartbeat);
        forget();
      });
      connection.run().catch((error: unknown) => {
        request.log.error({ err: error }, "SSE stream failed");
        res.destroy();
      });
    },
  );
}
