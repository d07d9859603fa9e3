import { type Authenticate, noteEventsStream, socketChannel } from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import { refuseOtherMethods } from "../http/mount.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import { StreamBudget } from "./budget.ts";
import type { NoteEventsRelay } from "./relay.ts";
import { registerSocket } from "./socket.ts";
import { answerHandshakeErrors, checkHandshakes } from "./socket-handshake.ts";
import { registerNoteEvents } from "./sse.ts";
import { registerSseHead } from "./sse-head.ts";
import { StreamSlots, streamLimitHook } from "./stream-limits.ts";

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
  const slots = new StreamSlots(settings.streams.maxPerClient);
  // One bound for the bytes every stream of the process holds unsent, SSE and WebSocket alike.
  const budget = new StreamBudget(settings.streams.maxQueuedBytes);
  // In a scope of their own: the stream limit's hook runs for the streams only.
  await scope.register(async (streams) => {
    streams.addHook("preHandler", streamLimitHook(slots));
    registerSseHead(streams, authenticate);
    registerNoteEvents(streams, { relay, budget, lifecycle, settings: settings.sse, authenticate });
    refuseOtherMethods(streams, noteEventsStream.path, ["GET"]);
    // In a scope of its own: @fastify/websocket's hooks then run for the WebSocket route only, not
    // for every HTTP request.
    await streams.register(async (socketScope) => {
      checkHandshakes(socketScope, socketChannel.path);
      await registerSocket(socketScope, { relay, budget, lifecycle, settings: settings.websocket, authenticate });
      answerHandshakeErrors(socketScope.websocketServer);
      refuseOtherMethods(socketScope, socketChannel.path, ["GET"]);
    });
  });
}
