import { z } from "zod";
import type { ZodOpenApiPathsObject, ZodOpenApiResponseObject } from "zod-openapi";
import { NoteEvent } from "./notes.ts";
import { FieldError, PROBLEM_CONTENT_TYPE, ProblemDetails } from "./problem.ts";
import { bearer, requiredSecurity, type SecurityRequirement } from "./security.ts";

/**
 * The second reason to be async: Server-Sent Events. async-api relays sync-api's note changes;
 * each event's `id` is the change's id, so a client resumes with Last-Event-ID.
 */
export const noteEventsStream = {
  path: "/events/notes",
  summary: "Changes to notes as Server-Sent Events (event `note`), resumable with Last-Event-ID",
  event: NoteEvent,
  /** Any valid token (`?access_token=`: EventSource cannot set headers). Notes are read by signed-in clients live. */
  security: bearer(),
  /**
   * The stream's last event when the token it was opened with expires (`data`: a 401 problem),
   * then it ends: reconnect with a fresh token (an EventSource's own retry, with the old one, is a 401).
   */
  tokenExpiredEvent: "token-expired",
} as const;

/** Messages a WebSocket client sends on `/ws`. */
export const SocketClientMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("echo"), text: z.string().max(1_000) }),
  z.strictObject({ type: z.literal("subscribe"), topic: z.literal("notes") }),
]);
export type SocketClientMessage = z.infer<typeof SocketClientMessage>;

/** Messages async-api sends on `/ws`. */
export const SocketServerMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("echo"), text: z.string(), at: z.iso.datetime() }),
  z.object({ type: z.literal("subscribed"), topic: z.literal("notes") }),
  z.object({ type: z.literal("note"), event: NoteEvent }),
  z.object({ type: z.literal("error"), problem: ProblemDetails, errors: z.array(FieldError).optional() }),
]);
export type SocketServerMessage = z.infer<typeof SocketServerMessage>;

/**
 * The third reason to be async: WebSockets. The channel, its message contracts, and the close
 * codes it uses.
 */
export const socketChannel = {
  path: "/ws",
  client: SocketClientMessage,
  server: SocketServerMessage,
  /** Checked at the upgrade: `Authorization: Bearer` or `?access_token=` (a browser cannot set headers). */
  security: bearer(),
  closeCodes: {
    /** The server is draining: reconnect (to another instance). */
    serviceRestart: 1012,
    /** A binary frame: the channel speaks JSON text only. */
    unsupportedData: 1003,
    /** A message over the size limit (sent by the ws library itself). */
    messageTooBig: 1009,
    /** No pong to our ping in time. */
    goingAway: 1001,
    /** The token the socket was opened with has expired: reconnect with a fresh one. */
    tokenExpired: 4401,
    /** The client let more than `websocket.maxQueuedBytes` wait unsent: reconnect, and reload what it shows. */
    tooSlow: 1008,
  },
} as const;

/** How the document states a security requirement: openapi.ts's `securityOf`. */
type DescribeSecurity = (requirement: SecurityRequirement | undefined) => {
  readonly security?: Record<string, string[]>[];
  readonly responses?: Record<string, ZodOpenApiResponseObject>;
};

/** The SSE stream in the OpenAPI document: not a controller endpoint, so described here. */
export function streamPaths(asyncPrefix: string, describeSecurity: DescribeSecurity): ZodOpenApiPathsObject {
  const secured = describeSecurity(requiredSecurity(undefined, noteEventsStream.security));
  return {
    [`${asyncPrefix}${noteEventsStream.path}`]: {
      get: {
        ...(secured.security ? { security: secured.security } : {}),
        operationId: "noteEvents.stream",
        summary: noteEventsStream.summary,
        tags: ["noteEvents"],
        "x-runtime": "async",
        requestParams: {
          header: z.object({
            "last-event-id": z.string().optional().meta({ description: "Resume after this event id" }),
          }),
          query: z.object({
            lastEventId: z.string().optional().meta({ description: "The same, for clients that cannot set headers" }),
            ...(secured.security
              ? {
                  access_token: z
                    .string()
                    .optional()
                    .meta({ description: "The bearer token, for clients that cannot set headers (EventSource)" }),
                }
              : {}),
          }),
        },
        responses: {
          "200": {
            description:
              "An endless stream of `note` events (and `: heartbeat` comments). A resume from before what the outbox keeps gets a `resync` event first (data `{ lastEventId, prunedThrough }`, `id:` where the stream goes on): reload, then keep listening",
            content: { "text/event-stream": { schema: noteEventsStream.event } },
          },
          ...secured.responses,
          "429": {
            description:
              "This client holds as many streams open as it may (`streams.maxPerClient`, SSE and WebSocket together)",
            content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetails } },
          },
        },
      },
    },
  };
}
