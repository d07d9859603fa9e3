import type { Authenticate } from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import type { Lifecycle } from "../lifecycle.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import { StreamBudget } from "./budget.ts";
import type { NoteEventsRelay } from "./relay.ts";
import { registerSocket } from "./socket.ts";
import { registerNoteEvents } from "./sse.ts";

/** The examples' streams, under the async prefix: SSE note events and the WebSocket channel. */
export async function registerStreams(
  scope: FastifyInstance,
  {
    relay,
    lifecycle,
    settings,
    authenticate,
  }: { relay: NoteEventsRelay; lifecycle: Lifecycle; settings: AsyncApiSettings; authenticate: Authenticate },
): Promise<void> {
  // One bound for the bytes every stream of the process holds unsent, SSE and WebSocket alike.
  const budget = new StreamBudget(settings.streams.maxQueuedBytes);
  registerNoteEvents(scope, { relay, budget, lifecycle, settings: settings.sse, authenticate });
  // In a scope of its own: @fastify/websocket's hooks then run for the WebSocket route only, not
  // for every HTTP request.
  await scope.register((socketScope) =>
    registerSocket(socketScope, { relay, budget, lifecycle, settings: settings.websocket, authenticate }),
  );
}
