import { type Authenticate, noteEventsStream } from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import { streamSecurity } from "../http/auth.ts";

/** The SSE stream's response headers (besides the request id), for GET and HEAD alike. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // An endless response: its connection is never reused, so no client pools it.
  connection: "close",
  // nginx: do not buffer this response.
  "x-accel-buffering": "no",
} as const;

/**
 * `HEAD <prefix>/events/notes`: the stream's headers, at once and without a body. Declared before
 * the GET, so Fastify does not derive a HEAD from the GET handler, which would hold the request
 * open forever (an endless stream with nothing to send).
 */
export function registerSseHead(app: FastifyInstance, authenticate: Authenticate): void {
  app.head(noteEventsStream.path, streamSecurity(app, noteEventsStream.security, authenticate), (_request, reply) => {
    reply.headers(SSE_HEADERS).code(200).send();
  });
}
