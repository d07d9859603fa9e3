import type { ServerResponse } from "node:http";
import { type Authenticate, type NoteEvent, noteEventsStream, REQUEST_ID_HEADER } from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import { streamSecurity } from "../http/auth.ts";
import { closedStreamQuery } from "../http/stream-query.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import type { NoteEventsRelay } from "./relay.ts";
import { SSE_HEADERS } from "./sse-head.ts";
import { atTokenExpiry, tokenExpiredMessage } from "./token-expiry.ts";

/**
 * One SSE client with back-pressure: while the socket will not take more (write returned false),
 * events wait in a queue; a client that lets `maxQueued` pile up is dropped, so a slow reader
 * cannot grow memory without bound. It can come back and resume with Last-Event-ID.
 */
class SseConnection {
  readonly #res: ServerResponse;
  readonly #maxQueued: number;
  readonly #queue: string[] = [];
  #blocked = false;
  #lastId: number;
  closed = false;

  readonly #onDrop: (queued: number) => void;

  constructor(res: ServerResponse, lastId: number, maxQueued: number, onDrop: (queued: number) => void) {
    this.#res = res;
    this.#onDrop = onDrop;
    this.#lastId = lastId;
    this.#maxQueued = maxQueued;
    res.on("drain", () => this.#flush());
  }

  get lastId(): number {
    return this.#lastId;
  }

  event(event: NoteEvent): void {
    if (event.id <= this.#lastId) return;
    this.#lastId = event.id;
    this.#write(`id: ${event.id}\nevent: note\ndata: ${JSON.stringify(event)}\n\n`);
  }

  comment(text: string): void {
    this.#write(`: ${text}\n\n`);
  }

  /** Tells the client to come back (to another instance) and ends the stream. */
  reconnect(): void {
    this.end("retry: 1000\nevent: reconnect\ndata: {}\n\n");
  }

  /** Ends the stream with a last message. */
  end(last: string): void {
    if (this.closed) return;
    this.#res.end(last);
    this.closed = true;
  }

  #write(chunk: string): void {
    if (this.closed) return;
    if (this.#blocked) {
      this.#queue.push(chunk);
      if (this.#queue.length > this.#maxQueued) {
        this.closed = true;
        this.#onDrop(this.#queue.length);
        this.#res.destroy(new Error(`slow SSE client: more than ${this.#maxQueued} events queued`));
      }
      return;
    }
    if (!this.#res.write(chunk)) this.#blocked = true;
  }

  #flush(): void {
    this.#blocked = false;
    while (this.#queue.length > 0 && !this.#blocked) {
      if (!this.#res.write(this.#queue.shift() as string)) this.#blocked = true;
    }
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
    lifecycle,
    settings,
    authenticate,
  }: { relay: NoteEventsRelay; lifecycle: Lifecycle; settings: AsyncApiSettings["sse"]; authenticate: Authenticate },
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
      const connection = new SseConnection(res, resumeFrom ?? relay.lastId, settings.maxQueuedEvents, (queued) =>
        request.log.warn({ queued }, "slow SSE client dropped: it can resume with Last-Event-ID"),
      );
      connection.comment("connected");

      // Subscribe before reading the backlog, holding live events back until it is sent, so that
      // nothing falls between the two and the order stays the ids' order.
      let held: NoteEvent[] | undefined = resumeFrom === undefined ? undefined : [];
      const unsubscribe = relay.subscribe((event) => (held ? held.push(event) : connection.event(event)));
      const heartbeat = setInterval(() => connection.comment("heartbeat"), settings.heartbeatIntervalMs);
      const forget = lifecycle.track(() => connection.reconnect());
      const expiry = atTokenExpiry(request.principal, () =>
        connection.end(tokenExpiredMessage(noteEventsStream.tokenExpiredEvent)),
      );
      res.once("close", () => {
        connection.closed = true;
        expiry();
        clearInterval(heartbeat);
        unsubscribe();
        forget();
      });
      if (resumeFrom !== undefined) {
        for (const event of await relay.since(resumeFrom)) connection.event(event);
        for (const event of held ?? []) connection.event(event);
        held = undefined;
      }
    },
  );
}
